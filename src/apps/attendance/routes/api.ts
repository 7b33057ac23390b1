/**
 * HTTP API of the attendance app, under /api/1/attendance (errors → statuses in errors.ts):
 *
 *   staff (a staff or admin session, or the admin bearer token):
 *     POST /courses                        { name } → course
 *     GET  /courses                        { items }
 *     POST /sessions                       open a roll call → session
 *     GET  /sessions                       recent sessions (?limit)
 *     GET  /sessions/:id                   the session and its count
 *     POST /sessions/:id/close
 *     GET  /sessions/:id/display           what the projector shows (ETag; 304 while unchanged)
 *     GET  /sessions/:id/code.svg          the current code as a QR image (QR app's renderer)
 *     GET  /sessions/:id/checkins          (?limit, ?cursor) → { items, next } (opaque cursor)
 *     GET  /sessions/:id/checkins.csv      every check-in as CSV
 *     PUT  /sessions/:id/checkins/:student { status, reason } marks present or absent
 *     POST /sessions/:id/display-links     a display link for a projector → { link, token, url }
 *     GET  /sessions/:id/display-links     (?limit, ?cursor) the session's links, newest first (no tokens)
 *     DELETE /sessions/:id/display-links/:linkId  revokes one
 *     GET  /photos/:id                     a check-in photo
 *   a display link's token (../display-links.ts; nothing else accepts it):
 *     GET  /display-links/:token/display   the same as /sessions/:id/display, for its session
 *     GET  /display-links/:token/code.svg  the same as /sessions/:id/code.svg
 *     POST /display-links/:token/ws-token  a connection token for /api/1/ws/attendance-display
 *   student (a session with the `student` role; its login is the student id):
 *     GET  /codes/:code                    what a scanned code is for, or why it is refused
 *     POST /photos                         a JPEG/PNG/WebP body → { id }
 *     POST /checkins                       { code, photoId? } → { checkin, duplicate }
 *   volunteer (volunteer, staff or admin):
 *     POST /stalls/:stallId/scans          { scanId, token, action? } → scan result
 *     GET  /stalls/:stallId                occupancy and visits
 *
 * The device cookie (ATTENDANCE_DEVICE_COOKIE, HttpOnly) is set on a student's first check-in.
 */
import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { apiPaths, type ServerContext } from '../../../server/context.js';
import { errorResponses, noQuery, strictObject } from '../../../server/routes/schemas.js';
import { renderImage } from '../../qr/image/render.js';
import { DEVICE_ID_PATTERN, newDeviceId } from '../devices.js';
import { displayLinkUser } from '../display-links.js';
import { AttendanceError } from '../errors.js';
import { PHOTO_ID_PATTERN } from '../photos.js';
import { DISPLAY_ENDPOINT, DISPLAY_ROLE, displayEndpoint } from '../realtime.js';
import type { Checkin } from '../roll-calls.js';
import type { AttendanceService } from '../service.js';
import { requireRole, roleOrAdminToken } from './access.js';
import {
  checkinSchema,
  codeParam,
  courseSchema,
  displayLinkSchema,
  displaySchema,
  idParams,
  linkParams,
  newSessionBody,
  pageOf,
  pageQuery,
  scanBody,
  scanResultSchema,
  sessionSchema,
  stallParams,
} from './schemas.js';

const BASE = '/attendance';
const IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'application/octet-stream'];

function url(path: string): string {
  return apiPaths(`${BASE}${path}`)[0]!;
}

/** Where a code's check-in page is, as seen by the client that asked. */
export function checkinUrl(request: FastifyRequest, code: string): string {
  return `${request.protocol}://${request.host}/attendance/c/${code}`;
}

function deviceOf(request: FastifyRequest, reply: FastifyReply, cookieName: string, secure: boolean): string {
  const found = readCookie(request.headers.cookie, cookieName);
  if (found !== undefined && DEVICE_ID_PATTERN.test(found)) return found;
  const id = newDeviceId();
  reply.header(
    'set-cookie',
    `${cookieName}=${id}; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`,
  );
  return id;
}

function readCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function csvCell(value: string | number | boolean | null): string {
  const text = value === null ? '' : String(value);
  // A leading = + - @ would be a formula in a spreadsheet: quote it with an apostrophe.
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\n\r]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

function csvRow(c: Checkin): string {
  return [
    c.studentId,
    new Date(c.at).toISOString(),
    c.status,
    c.late,
    c.flagged,
    c.source,
    c.reason,
    c.photoId,
  ]
    .map(csvCell)
    .join(',');
}

export function attendanceApiRoutes(
  scope: FastifyInstance,
  context: ServerContext,
  attendance: AttendanceService,
): void {
  const app = scope.withTypeProvider<JsonSchemaToTsProvider>();
  const { rollCalls, stalls, photos, config, displayLinks } = attendance;
  const staff = roleOrAdminToken(context.requireAdmin, ['staff', 'admin']);
  const volunteer = roleOrAdminToken(context.requireAdmin, ['volunteer', 'staff', 'admin']);
  const secureCookie = context.plexus.config.server.environment === 'production';
  const tags = ['attendance'];

  scope.addContentTypeParser(
    IMAGE_TYPES,
    { parseAs: 'buffer', bodyLimit: config.photoMaxBytes + 1 },
    (_r, body, done) => done(null, body),
  );

  app.post(
    url('/courses'),
    {
      preHandler: staff,
      schema: {
        tags,
        querystring: noQuery,
        body: strictObject({ name: { type: 'string', minLength: 1, maxLength: 200 } }),
        response: { 200: courseSchema, ...errorResponses },
      },
    },
    (request) => rollCalls.createCourse(request.body.name),
  );
  app.get(
    url('/courses'),
    {
      preHandler: staff,
      schema: {
        tags,
        querystring: noQuery,
        response: { 200: strictObject({ items: { type: 'array', items: courseSchema } }), ...errorResponses },
      },
    },
    async () => ({ items: await rollCalls.listCourses() }),
  );
  app.post(
    url('/sessions'),
    {
      preHandler: staff,
      schema: {
        tags,
        querystring: noQuery,
        body: newSessionBody,
        response: { 200: sessionSchema, ...errorResponses },
      },
    },
    (request) => rollCalls.openSession(request.body),
  );
  app.get(
    url('/sessions'),
    {
      preHandler: staff,
      schema: {
        tags,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 } },
        },
        response: {
          200: strictObject({ items: { type: 'array', items: sessionSchema } }),
          ...errorResponses,
        },
      },
    },
    async (request) => ({ items: await rollCalls.recentSessions(request.query.limit) }),
  );
  app.get(
    url('/sessions/:id'),
    {
      preHandler: staff,
      schema: {
        tags,
        params: idParams,
        querystring: noQuery,
        response: {
          200: strictObject({ session: sessionSchema, count: { type: 'integer' } }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const session = await rollCalls.session(request.params.id);
      return { session, count: await rollCalls.count(session.id, { fresh: true }) };
    },
  );
  app.post(
    url('/sessions/:id/close'),
    {
      preHandler: staff,
      schema: {
        tags,
        params: idParams,
        querystring: noQuery,
        response: { 200: sessionSchema, ...errorResponses },
      },
    },
    (request) => rollCalls.closeSession(request.params.id),
  );
  async function sendDisplay(request: FastifyRequest, reply: FastifyReply, sessionId: string) {
    const now = Date.now();
    const status = await rollCalls.display(sessionId, now);
    const etag = `"${status.window}-${status.count}-${status.open ? 1 : 0}"`;
    reply.header('etag', etag).header('cache-control', 'no-cache');
    if (request.headers['if-none-match'] === etag) return reply.code(304).send(null);
    return { ...status, url: checkinUrl(request, status.code), now };
  }
  // `w` names the window the display asked for: its code while it is still accepted (the current
  // or previous window), else the current one, so the image always matches the status it follows.
  function sendCode(request: FastifyRequest, reply: FastifyReply, sessionId: string, asked?: number) {
    const current = rollCalls.codes.windowAt();
    const window = asked === current || asked === current - 1 ? asked : current;
    const image = renderImage(
      checkinUrl(request, rollCalls.codes.issue(sessionId, window)),
      { format: 'svg', size: 640, margin: 4 },
      'M',
    );
    return reply.type('image/svg+xml').header('cache-control', 'private, no-store').send(image.body);
  }
  const windowQuery = {
    type: 'object',
    additionalProperties: false,
    properties: { w: { type: 'integer', minimum: 0 } },
  } as const;
  const displayResponses = { 200: displaySchema, 304: { type: 'null' }, ...errorResponses } as const;

  app.get(
    url('/sessions/:id/display'),
    {
      preHandler: staff,
      schema: { tags, params: idParams, querystring: noQuery, response: displayResponses },
    },
    (request, reply) => sendDisplay(request, reply, request.params.id),
  );
  // On the plain instance: the handler sends bytes, which the type provider's reply type refuses.
  scope.get<{ Params: { id: string }; Querystring: { w?: number } }>(
    url('/sessions/:id/code.svg'),
    {
      preHandler: staff,
      schema: { tags, params: idParams, querystring: windowQuery, response: errorResponses },
    },
    async (request, reply) => {
      await rollCalls.session(request.params.id);
      return sendCode(request, reply, request.params.id, request.query.w);
    },
  );

  app.post(
    url('/sessions/:id/display-links'),
    {
      preHandler: staff,
      schema: {
        tags,
        params: idParams,
        querystring: noQuery,
        response: {
          200: strictObject({ link: displayLinkSchema, token: { type: 'string' }, url: { type: 'string' } }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { link, token } = await displayLinks.create(request.params.id);
      // The token rides in the fragment: browsers send it to no server and no Referer carries it.
      const page = `${request.protocol}://${request.host}/attendance/display/${link.sessionId}#link=${token}`;
      return { link, token, url: page };
    },
  );
  app.get(
    url('/sessions/:id/display-links'),
    {
      preHandler: staff,
      schema: {
        tags,
        params: idParams,
        querystring: pageQuery(100, 50),
        response: {
          200: pageOf(displayLinkSchema),
          ...errorResponses,
        },
      },
    },
    (request) => displayLinks.list(request.params.id, request.query.limit, request.query.cursor),
  );
  app.delete(
    url('/sessions/:id/display-links/:linkId'),
    {
      preHandler: staff,
      schema: {
        tags,
        params: strictObject({ id: idParams.properties.id, linkId: idParams.properties.id }),
        querystring: noQuery,
        response: { 200: displayLinkSchema, ...errorResponses },
      },
    },
    async (request) => {
      const link = await displayLinks.revoke(request.params.id, request.params.linkId);
      // Its open sockets, on every instance, are told and then closed (1008); announcements to it
      // stop (../display-links.ts).
      const endpoint = displayEndpoint(context.plexus.realtime);
      const user = displayLinkUser(link.id);
      await endpoint.toUser(user, 'revoked', { linkId: link.id }).catch(() => {});
      await endpoint.disconnect(user, 'display link revoked').catch(() => {});
      return link;
    },
  );

  app.get(
    url('/display-links/:token/display'),
    { schema: { tags, params: linkParams, querystring: noQuery, response: displayResponses } },
    async (request, reply) => {
      const { session } = await displayLinks.verify(request.params.token);
      return sendDisplay(request, reply, session.id);
    },
  );
  scope.get<{ Params: { token: string }; Querystring: { w?: number } }>(
    url('/display-links/:token/code.svg'),
    { schema: { tags, params: linkParams, querystring: windowQuery, response: errorResponses } },
    async (request, reply) => {
      const { session } = await displayLinks.verify(request.params.token);
      return sendCode(request, reply, session.id, request.query.w);
    },
  );
  app.post(
    url('/display-links/:token/ws-token'),
    {
      schema: {
        tags,
        params: linkParams,
        querystring: noQuery,
        response: {
          200: strictObject({
            token: { type: 'string' },
            expiresAt: { type: 'integer' },
            endpoint: { type: 'string' },
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { link } = await displayLinks.verify(request.params.token);
      const issued = context.plexus.realtime.tokens.issue(DISPLAY_ENDPOINT, {
        id: displayLinkUser(link.id),
        roles: [DISPLAY_ROLE],
      });
      return { ...issued, endpoint: DISPLAY_ENDPOINT };
    },
  );
  app.get(
    url('/sessions/:id/checkins'),
    {
      preHandler: staff,
      schema: {
        tags,
        params: idParams,
        querystring: pageQuery(500, 100),
        response: {
          200: pageOf(checkinSchema),
          ...errorResponses,
        },
      },
    },
    (request) => rollCalls.checkins(request.params.id, request.query.limit, request.query.cursor),
  );
  scope.get<{ Params: { id: string } }>(
    url('/sessions/:id/checkins.csv'),
    { preHandler: staff, schema: { tags, params: idParams, querystring: noQuery, response: errorResponses } },
    async (request, reply) => {
      const lines = ['student,at,status,late,flagged,source,reason,photo'];
      let cursor: string | undefined;
      do {
        const page = await rollCalls.checkins(request.params.id, 500, cursor);
        for (const c of page.items) lines.push(csvRow(c));
        cursor = page.next ?? undefined;
      } while (cursor !== undefined);
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="attendance-${request.params.id}.csv"`)
        .send(`${lines.join('\n')}\n`);
    },
  );
  app.put(
    url('/sessions/:id/checkins/:studentId'),
    {
      preHandler: staff,
      schema: {
        tags,
        params: strictObject({
          id: idParams.properties.id,
          studentId: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' },
        }),
        querystring: noQuery,
        body: strictObject({
          status: { type: 'string', enum: ['present', 'absent'] },
          reason: { type: 'string', minLength: 1, maxLength: 500 },
        }),
        response: { 200: checkinSchema, ...errorResponses },
      },
    },
    (request) =>
      rollCalls.mark(request.params.id, request.params.studentId, request.body.status, request.body.reason),
  );
  scope.get<{ Params: { id: string } }>(
    url('/photos/:id'),
    {
      preHandler: staff,
      schema: {
        tags,
        params: strictObject({ id: { type: 'string', pattern: PHOTO_ID_PATTERN.source } }),
        querystring: noQuery,
        response: errorResponses,
      },
    },
    async (request, reply) => {
      const photo = await photos.read(request.params.id);
      if (photo === undefined) throw new AttendanceError('ATTENDANCE_NOT_FOUND', 'no such photo');
      return reply.type(photo.type).header('cache-control', 'private, no-store').send(photo.body);
    },
  );

  app.get(
    url('/codes/:code'),
    {
      schema: {
        tags,
        params: codeParam,
        querystring: noQuery,
        response: {
          200: {
            type: 'object',
            additionalProperties: false,
            required: ['valid'],
            properties: {
              valid: { type: 'boolean' },
              reason: { type: 'string', enum: ['malformed', 'forged', 'expired', 'closed'] },
              ticket: { type: 'string' },
              session: strictObject({
                name: { type: 'string' },
                room: { type: 'string' },
                photoRequired: { type: 'boolean' },
                endsAt: { type: 'integer' },
              }),
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { check, session } = await rollCalls.checkCode(request.params.code);
      if (!check.ok) return { valid: false, reason: check.reason };
      const about = {
        name: session!.courseName,
        room: session!.room,
        photoRequired: session!.photoRequired,
        endsAt: session!.endsAt,
      };
      if (!rollCalls.isOpen(session!)) return { valid: false, reason: 'closed' as const, session: about };
      // A signed-in student gets a ticket, so a photo may take longer than the code lives.
      const user = (await request.loadSession())?.user;
      const ticket = user?.roles?.includes('student')
        ? rollCalls.ticket(session!.id, user.login ?? user.id)
        : undefined;
      return { valid: true, session: about, ...(ticket === undefined ? {} : { ticket }) };
    },
  );
  app.post(
    url('/photos'),
    {
      bodyLimit: config.photoMaxBytes + 1,
      schema: {
        tags,
        querystring: noQuery,
        consumes: IMAGE_TYPES,
        response: {
          200: strictObject({ id: { type: 'string' }, type: { type: 'string' }, bytes: { type: 'integer' } }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const user = await requireRole(request, ['student']);
      if (!Buffer.isBuffer(request.body))
        throw new AttendanceError('ATTENDANCE_PHOTO_INVALID', 'send the image bytes as the body');
      return photos.store(user.login ?? user.id, request.body);
    },
  );
  app.post(
    url('/checkins'),
    {
      schema: {
        tags,
        querystring: noQuery,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['code'],
          properties: {
            code: { type: 'string', minLength: 1, maxLength: 200 },
            photoId: { type: 'string', pattern: PHOTO_ID_PATTERN.source },
          },
        },
        response: {
          200: strictObject({ checkin: checkinSchema, duplicate: { type: 'boolean' } }),
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const user = await requireRole(request, ['student']);
      const studentId = user.login ?? user.id;
      const deviceId = deviceOf(request, reply, config.deviceCookieName, secureCookie);
      const { photoId } = request.body;
      if (photoId !== undefined && (await photos.owner(photoId)) !== studentId) {
        throw new AttendanceError('ATTENDANCE_PHOTO_INVALID', 'no photo of yours with this id');
      }
      return rollCalls.checkIn({ code: request.body.code, studentId, deviceId, photoId });
    },
  );

  app.post(
    url('/stalls/:stallId/scans'),
    {
      preHandler: volunteer,
      schema: {
        tags,
        params: stallParams,
        querystring: noQuery,
        body: scanBody,
        response: { 200: scanResultSchema, ...errorResponses },
      },
    },
    (request) =>
      stalls.scan({
        scanId: request.body.scanId,
        stallId: request.params.stallId,
        token: request.body.token,
        action: request.body.action ?? 'toggle',
      }),
  );
  app.get(
    url('/stalls/:stallId'),
    {
      preHandler: volunteer,
      schema: {
        tags,
        params: stallParams,
        querystring: noQuery,
        response: {
          200: strictObject({
            stallId: { type: 'string' },
            name: { type: 'string' },
            occupancy: { type: 'integer' },
            visits: { type: 'integer' },
          }),
          ...errorResponses,
        },
      },
    },
    (request) => stalls.stats(request.params.stallId),
  );
}
