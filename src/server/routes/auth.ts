/**
 * Login and sessions over HTTP (src/accounts/, src/sessions/):
 *
 *   POST   /api/1/auth/login             { login, password } → the account; sets the session cookie
 *   POST   /api/1/auth/logout            ends this session
 *   POST   /api/1/auth/logout-all        ends every session of the account, on every instance
 *                                        (`?keepCurrent=true` keeps this one)
 *   GET    /api/1/auth/me                the signed-in account and this session
 *   GET    /api/1/auth/sessions          the account's sessions: device, address, created, last seen
 *   DELETE /api/1/auth/sessions/:id      ends one of them
 *   GET    /api/1/health/sessions        where sessions are kept right now (Redis or this process)
 *
 * Sessions are named in responses by a public handle (a hash of the id): a session id is as good as
 * a password and never leaves the cookie. Failed logins answer 401 INVALID_CREDENTIALS whether the
 * login exists or not; too many answer 429 LOGIN_RATE_LIMITED with Retry-After.
 */
import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FromSchema } from 'json-schema-to-ts';
import { MAX_LOGIN_LENGTH, MAX_PASSWORD_LENGTH } from '../../accounts/accounts.js';
import { sessionUser } from '../../accounts/auth.js';
import type { Plexus } from '../../index.js';
import type { ActiveSession } from '../../sessions/active-session.js';
import { cookieDue } from '../../sessions/cookie.js';
import { LoginRateLimitedError, SessionError } from '../../sessions/errors.js';
import { sessionHandle } from '../../sessions/handle.js';
import type { SessionRecord } from '../../sessions/record.js';
import type { RoutePlugin } from '../context.js';
import { apiPaths } from '../context.js';
import { type FastAnswer, type FastHandler, jsonAnswer } from '../fast-lane.js';
import { errorResponses, noQuery, strictObject } from './schemas.js';

/** A login body is tiny; anything bigger is refused before it is read. */
const LOGIN_BODY_LIMIT = 4096;

const isoTime = { type: 'string', format: 'date-time' } as const;

const userSchema = strictObject({
  id: { type: 'string' },
  login: { type: 'string' },
  roles: { type: 'array', items: { type: 'string' } },
});

const sessionSchema = strictObject({
  id: { type: 'string' },
  current: { type: 'boolean' },
  device: { type: 'string' },
  ip: { type: 'string' },
  createdAt: isoTime,
  lastSeenAt: isoTime,
  expiresAt: isoTime,
});

const meSchema = strictObject({ user: userSchema, session: sessionSchema });
const endedSchema = strictObject({ ended: { type: 'integer', minimum: 0 } });

const loginBody = strictObject({
  login: { type: 'string', minLength: 1, maxLength: MAX_LOGIN_LENGTH },
  password: { type: 'string', minLength: 1, maxLength: MAX_PASSWORD_LENGTH },
});

type SessionBody = FromSchema<typeof sessionSchema>;

/**
 * Descriptions by session id, reused while the session is not renewed: formatting three dates is
 * most of what GET /auth/me costs once the session is read. Cleared when full.
 */
const described = new Map<string, { seen: number; expires: number; ip: string; body: SessionBody }>();
const DESCRIBED_SIZE = 10_000;

function describe(record: Readonly<SessionRecord>, currentId: string): SessionBody {
  const memo = described.get(record.id);
  const current = record.id === currentId;
  if (
    memo !== undefined &&
    memo.seen === record.lastSeenAt &&
    memo.expires === record.expiresAt &&
    memo.ip === record.ip
  ) {
    return memo.body.current === current ? memo.body : { ...memo.body, current };
  }
  const body: SessionBody = {
    id: sessionHandle(record.id),
    current,
    device: record.device,
    ip: record.ip,
    createdAt: new Date(record.createdAt).toISOString(),
    lastSeenAt: new Date(record.lastSeenAt).toISOString(),
    expiresAt: new Date(record.expiresAt).toISOString(),
  };
  if (described.size >= DESCRIBED_SIZE) described.clear();
  described.set(record.id, { seen: record.lastSeenAt, expires: record.expiresAt, ip: record.ip, body });
  return body;
}

function meBody(record: Readonly<SessionRecord>) {
  return { user: userBody(record), session: describe(record, record.id) };
}

/**
 * The fast lane's `/auth/me` (src/server/fast-lane.ts): a valid cookie whose session this instance
 * has a copy of, signed in, with no cookie to send back. The answer is kept with the copy's record,
 * so a session's requests reuse it for as long as that copy is served; everything else (no copy,
 * a cookie to renew, no cookie) is the Fastify route's.
 */
function meFromCopy({ cookie, sessions }: Plexus['auth']): FastHandler {
  const answers = new WeakMap<Readonly<SessionRecord>, FastAnswer>();
  return (request) => {
    const read = cookie.read(request.headers.cookie);
    if (read.status !== 'valid') return undefined;
    const record = sessions.peekCached(read.id);
    if (record === undefined || record.user === null || cookieDue(read, record)) return undefined;
    let answer = answers.get(record);
    if (answer === undefined) {
      answer = jsonAnswer(meBody(record));
      answers.set(record, answer);
    }
    return answer;
  };
}

function userBody(record: Readonly<SessionRecord>) {
  const user = record.user!;
  return { id: user.id, login: user.login ?? '', roles: user.roles ?? [] };
}

export const authRoutes: RoutePlugin = async (scope, { plexus, fastLane }) => {
  const app = scope.withTypeProvider<JsonSchemaToTsProvider>();
  const { auth } = plexus;

  app.post(
    `${apiPaths('/auth/login')[0]}`,
    {
      bodyLimit: LOGIN_BODY_LIMIT,
      schema: { querystring: noQuery, body: loginBody, response: { 200: meSchema, ...errorResponses } },
    },
    async (request, reply) => {
      const { login, password } = request.body;
      try {
        const account = await auth.authenticate(login, password, request.ip);
        return meBody((await reply.startSession(sessionUser(account))).record);
      } catch (error) {
        if (error instanceof LoginRateLimitedError) retryAfter(reply, error.retryAfterMs);
        throw error;
      }
    },
  );

  app.post(
    `${apiPaths('/auth/logout')[0]}`,
    { schema: { querystring: noQuery, response: { 200: endedSchema, ...errorResponses } } },
    async (request, reply) => {
      await request.requireSession();
      await reply.endSession();
      return { ended: 1 };
    },
  );

  app.post(
    `${apiPaths('/auth/logout-all')[0]}`,
    {
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { keepCurrent: { type: 'boolean', default: false } },
        },
        response: { 200: endedSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const session = await signedIn(request);
      const keep = request.query.keepCurrent === true;
      const ended = await auth.sessions.destroyUser(session.user!.id, keep ? { exceptId: session.id } : {});
      if (!keep) await reply.endSession();
      return { ended: ended.length + (keep || ended.includes(session.id) ? 0 : 1) };
    },
  );

  const mePath = `${apiPaths('/auth/me')[0]}`;
  app.get(
    mePath,
    { schema: { querystring: noQuery, response: { 200: meSchema, ...errorResponses } } },
    (request) => {
      // Called on every page load: answered without a promise when the session is at hand.
      const session = request.sessionAtHand();
      return session?.user ? meBody(session.record) : signedIn(request).then((s) => meBody(s.record));
    },
  );
  fastLane?.get(mePath, meFromCopy(auth));

  app.get(
    `${apiPaths('/auth/sessions')[0]}`,
    {
      schema: {
        querystring: noQuery,
        response: {
          200: strictObject({ sessions: { type: 'array', items: sessionSchema } }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const session = await signedIn(request);
      const records = await auth.sessions.listUser(session.user!.id);
      return { sessions: records.map((record) => describe(record, session.id)) };
    },
  );

  app.delete(
    `${apiPaths('/auth/sessions/:id')[0]}`,
    {
      schema: {
        params: strictObject({ id: { type: 'string', minLength: 1, maxLength: 64 } }),
        querystring: noQuery,
        response: { 200: endedSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const session = await signedIn(request);
      const records = await auth.sessions.listUser(session.user!.id);
      const target = records.find((record) => sessionHandle(record.id) === request.params.id);
      if (target === undefined) throw new SessionError('SESSION_NOT_FOUND', 'No such session among yours');
      if (target.id === session.id) await reply.endSession();
      else await auth.sessions.destroy(target.id);
      return { ended: 1 };
    },
  );

  app.get(
    `${apiPaths('/health/sessions')[0]}`,
    {
      schema: {
        querystring: noQuery,
        response: {
          200: strictObject({
            backend: { type: 'string', enum: ['redis', 'memory'] },
            shared: { type: 'boolean' },
            local: { type: 'integer' },
            pendingLogoutAll: { type: 'integer' },
            pendingLogouts: { type: 'integer' },
            durable: {
              anyOf: [
                { type: 'null' },
                strictObject({
                  pending: { type: 'integer' },
                  pendingEnds: { type: 'integer' },
                  lastFlushAt: { type: ['string', 'null'] },
                  lastError: { type: ['string', 'null'] },
                  restored: { type: 'integer' },
                }),
              ],
            },
            localCache: {
              anyOf: [
                { type: 'null' },
                strictObject({
                  trusted: { type: 'boolean' },
                  maxAgeMs: { type: 'integer' },
                  entries: { type: 'integer' },
                  hits: { type: 'integer' },
                  misses: { type: 'integer' },
                  invalidations: { type: 'integer' },
                }),
              ],
            },
            outageCopies: {
              anyOf: [
                { type: 'null' },
                strictObject({
                  entries: { type: 'integer' },
                  served: { type: 'integer' },
                  graceMs: { type: 'integer' },
                }),
              ],
            },
            epochs: { type: 'integer' },
          }),
          ...errorResponses,
        },
      },
    },
    async () => auth.health(),
  );
};

/** The request's session, which must belong to an account (not an anonymous one). */
async function signedIn(request: FastifyRequest): Promise<ActiveSession> {
  const session = await request.requireSession();
  if (session.user === null) throw new SessionError('AUTH_REQUIRED', 'Sign in first');
  return session;
}

function retryAfter(reply: FastifyReply, ms: number): void {
  reply.header('retry-after', String(Math.max(1, Math.ceil(ms / 1000))));
}
