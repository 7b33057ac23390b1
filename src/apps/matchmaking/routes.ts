/**
 * HTTP API of the matchmaking app (signed-in players unless noted):
 *
 *   POST   /api/1/matchmaking/join      { mode?, region?, rating?, party? } → status
 *   POST   /api/1/matchmaking/leave     → { left: true }
 *   GET    /api/1/matchmaking/status    → { state, mode, region, position, waitedMs, window, match }
 *   GET    /api/1/matchmaking/stats     → queue sizes, matches made, average and p95 wait
 *   POST   /api/1/matches/:id/result    game server (Bearer token): { server, winner } → new ratings
 *   POST   /api/1/servers/register      admin: { id?, address, region?, capacity, modes? } → { id, token }
 *   POST   /api/1/servers/:id/heartbeat game server (Bearer token) → { deadline }
 *   DELETE /api/1/servers/:id           game server (Bearer token) or admin → { moved, failed }
 *   GET    /api/1/servers               admin: ?after=&limit= → { servers, next }
 *
 * The seed's Django-style paths (/api/matchmaking/join/, leave/, status/, stats/) are aliases.
 * The player demo page is `/matchmaking/` (page.ts).
 */
import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { decodeCursor } from '../../pagination/cursor.js';
import { apiPaths, type ServerContext } from '../../server/context.js';
import { errorResponses, noQuery, strictObject } from '../../server/routes/schemas.js';
import { SessionError } from '../../sessions/errors.js';
import { MatchmakingError } from './errors.js';
import { matchmakingPageRoutes } from './page.js';
import { MAX_PARTY, type Matchmaking } from './service.js';

const name = { type: 'string', minLength: 1, maxLength: 32 } as const;
const playerId = { type: 'string', minLength: 1, maxLength: 128 } as const;
const idParams = strictObject({ id: { type: 'string', minLength: 1, maxLength: 128 } });

const serverSchema = {
  type: ['object', 'null'],
  additionalProperties: false,
  required: ['id', 'address'],
  properties: { id: { type: 'string' }, address: { type: 'string' } },
} as const;

const matchSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'state', 'mode', 'region', 'players', 'server'],
  properties: {
    id: { type: 'string' },
    state: { type: 'string', enum: ['assigned', 'waiting', 'finished', 'failed'] },
    mode: { type: 'string' },
    region: { type: 'string' },
    players: {
      type: 'array',
      items: strictObject({ id: { type: 'string' }, team: { type: 'integer' }, rating: { type: 'integer' } }),
    },
    server: serverSchema,
  },
} as const;

const nullableString = { type: ['string', 'null'] } as const;
const nullableInteger = { type: ['integer', 'null'] } as const;

const statusSchema = strictObject({
  state: { type: 'string', enum: ['idle', 'queued', 'matching', 'matched'] },
  mode: nullableString,
  region: nullableString,
  ticket: nullableString,
  position: nullableInteger,
  waitedMs: nullableInteger,
  window: { type: ['number', 'null'] },
  backend: { type: 'string', enum: ['redis', 'database'] },
  match: { ...matchSchema, type: ['object', 'null'] },
});

const statsSchema = strictObject({
  queues: {
    type: 'array',
    items: strictObject({
      mode: { type: 'string' },
      region: { type: 'string' },
      queued: { type: 'integer' },
      matchesMade: { type: 'integer' },
      playersInMatches: { type: 'integer' },
      avgWaitMs: nullableInteger,
      p95WaitMs: nullableInteger,
    }),
  },
  playersQueued: { type: 'integer' },
  playersOnline: { type: 'integer' },
});

const joinBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    mode: name,
    region: name,
    rating: {
      type: 'integer',
      description: "The caller's rating, 0–5000 (MM_INVALID_RATING otherwise); the stored one when omitted.",
    },
    party: {
      type: 'array',
      maxItems: MAX_PARTY - 1,
      uniqueItems: true,
      items: playerId,
      description: 'The other players of a party, matched together with the caller.',
    },
  },
} as const;

const resultBody = strictObject({
  server: { type: 'string', minLength: 1, maxLength: 128 },
  winner: nullableInteger,
});

const registerBody = {
  type: 'object',
  additionalProperties: false,
  required: ['address', 'capacity'],
  properties: {
    id: { type: 'string', pattern: '^[A-Za-z0-9_.:-]{1,128}$' },
    address: { type: 'string', minLength: 1, maxLength: 256 },
    region: name,
    capacity: { type: 'integer', minimum: 1, maximum: 100_000 },
    modes: { type: 'array', minItems: 1, maxItems: 32, uniqueItems: true, items: name },
  },
} as const;

const serversQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    after: { type: 'string', maxLength: 256, description: 'The `next` cursor of the previous page.' },
    limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 },
  },
} as const;

const serverListSchema = strictObject({
  servers: {
    type: 'array',
    items: strictObject({
      id: { type: 'string' },
      region: { type: 'string' },
      address: { type: 'string' },
      capacity: { type: 'integer' },
      modes: { type: 'array', items: { type: 'string' } },
      registeredAt: { type: 'integer' },
      live: { type: 'boolean' },
      load: { type: 'integer' },
    }),
  },
  next: nullableString,
});

async function player(request: FastifyRequest): Promise<string> {
  const session = await request.requireSession();
  if (session.user === null) throw new SessionError('AUTH_REQUIRED', 'Sign in first');
  return session.user.id;
}

function bearer(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  const match = header === undefined ? null : /^Bearer\s+(\S+)$/i.exec(header);
  return match?.[1];
}

const isServerId = (position: unknown): position is string => typeof position === 'string' && position !== '';

/** The server id after which a page of the pool starts (the `next` of Matchmaking.servers). */
function afterServer(after: string | undefined): string | undefined {
  if (after === undefined) return undefined;
  const id = decodeCursor(after, isServerId);
  if (id === undefined) throw new MatchmakingError('MM_SERVER_INVALID', 'malformed cursor');
  return id;
}

export function matchmakingRoutes(scope: FastifyInstance, context: ServerContext, mm: Matchmaking): void {
  const app = scope.withTypeProvider<JsonSchemaToTsProvider>();
  const { requireAdmin } = context;
  matchmakingPageRoutes(scope);

  for (const url of apiPaths('/matchmaking/join', '/api/matchmaking/join/')) {
    app.post(
      url,
      {
        schema: { querystring: noQuery, body: joinBody, response: { 200: statusSchema, ...errorResponses } },
      },
      async (request) => {
        const id = await player(request);
        const body = request.body ?? {};
        return mm.join({
          mode: body.mode,
          region: body.region,
          players: [{ id, rating: body.rating }, ...(body.party ?? []).map((p) => ({ id: p }))],
        });
      },
    );
  }
  for (const url of apiPaths('/matchmaking/leave', '/api/matchmaking/leave/')) {
    app.post(
      url,
      {
        schema: {
          querystring: noQuery,
          response: { 200: strictObject({ left: { type: 'boolean' } }), ...errorResponses },
        },
      },
      async (request) => {
        await mm.leave(await player(request));
        return { left: true };
      },
    );
  }
  for (const url of apiPaths('/matchmaking/status', '/api/matchmaking/status/')) {
    app.get(
      url,
      { schema: { querystring: noQuery, response: { 200: statusSchema, ...errorResponses } } },
      async (request) => mm.status(await player(request)),
    );
  }
  for (const url of apiPaths('/matchmaking/stats', '/api/matchmaking/stats/')) {
    app.get(
      url,
      { schema: { querystring: noQuery, response: { 200: statsSchema, ...errorResponses } } },
      async (request) => {
        await player(request);
        return mm.stats();
      },
    );
  }
  for (const url of apiPaths('/matches/:id/result')) {
    app.post(
      url,
      {
        schema: {
          params: idParams,
          querystring: noQuery,
          body: resultBody,
          response: {
            200: strictObject({
              match: matchSchema,
              ratings: {
                type: 'array',
                items: strictObject({
                  id: { type: 'string' },
                  before: { type: 'integer' },
                  after: { type: 'integer' },
                }),
              },
            }),
            ...errorResponses,
          },
        },
      },
      (request) =>
        mm.reportResult(request.params.id, request.body.server, bearer(request), request.body.winner),
    );
  }
  for (const url of apiPaths('/servers/register')) {
    app.post(
      url,
      {
        preHandler: requireAdmin,
        schema: {
          querystring: noQuery,
          body: registerBody,
          response: {
            200: strictObject({ id: { type: 'string' }, token: { type: 'string' } }),
            ...errorResponses,
          },
        },
      },
      (request) =>
        mm.registerServer({
          id: request.body.id,
          address: request.body.address,
          region: request.body.region ?? mm.config.regions[0]!,
          capacity: request.body.capacity,
          modes: request.body.modes ?? mm.config.modes.map((m) => m.name),
        }),
    );
  }
  for (const url of apiPaths('/servers/:id/heartbeat')) {
    app.post(
      url,
      {
        schema: {
          params: idParams,
          querystring: noQuery,
          response: { 200: strictObject({ deadline: { type: 'integer' } }), ...errorResponses },
        },
      },
      (request) => mm.heartbeat(request.params.id, bearer(request)),
    );
  }
  for (const url of apiPaths('/servers/:id')) {
    app.delete(
      url,
      {
        schema: {
          params: idParams,
          querystring: noQuery,
          response: {
            200: strictObject({ moved: { type: 'integer' }, failed: { type: 'integer' } }),
            ...errorResponses,
          },
        },
      },
      async (request) => {
        const token = bearer(request);
        if (token !== undefined) return mm.removeServer(request.params.id, { token });
        const verdict = await context.plexus.auth.adminVerdict(request.headers.cookie);
        if (verdict !== 'admin')
          throw new MatchmakingError(
            'MM_SERVER_FORBIDDEN',
            'the server token or an admin session is required',
          );
        return mm.removeServer(request.params.id, 'admin');
      },
    );
  }
  for (const url of apiPaths('/servers')) {
    app.get(
      url,
      {
        preHandler: requireAdmin,
        schema: { querystring: serversQuery, response: { 200: serverListSchema, ...errorResponses } },
      },
      (request) => mm.servers(afterServer(request.query.after), request.query.limit ?? 50),
    );
  }
}
