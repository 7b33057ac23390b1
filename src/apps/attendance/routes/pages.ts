/**
 * The attendance pages under /attendance (HTML with a strict CSP; scripts and the stylesheet from
 * /attendance/assets/, jsQR from the package's dependency):
 *
 *   GET /attendance/staff              staff: courses, roll calls, check-ins
 *   GET /attendance/display/:id        the projector
 *   GET /attendance/c/:code            the student's check-in (the URL inside the rotating code)
 *   GET /attendance/stall/:stallId     the volunteer's scanner
 *
 * The display and staff pages import the realtime client from /realtime-client/index.js, which the
 * realtime route group serves with the hub's WebSocket (src/server/routes/realtime.ts).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { errorResponses, noQuery, strictObject } from '../../../server/routes/schemas.js';
import { COMMON_JS } from '../pages/common.js';
import { DISPLAY_JS, displayPage } from '../pages/display.js';
import { PAGE_CSP } from '../pages/shell.js';
import { STAFF_JS, staffPage } from '../pages/staff.js';
import { STALL_JS, stallPage } from '../pages/stall.js';
import { STUDENT_JS, studentPage } from '../pages/student.js';
import { STYLE } from '../pages/style.js';
import { codeParam, idParams, stallParams } from './schemas.js';

const require = createRequire(import.meta.url);

function assets(): Map<string, { type: string; body: string }> {
  const js = 'text/javascript; charset=utf-8';
  return new Map([
    ['style.css', { type: 'text/css; charset=utf-8', body: STYLE }],
    ['common.js', { type: js, body: COMMON_JS }],
    ['display.js', { type: js, body: DISPLAY_JS }],
    ['student.js', { type: js, body: STUDENT_JS }],
    ['staff.js', { type: js, body: STAFF_JS }],
    ['stall.js', { type: js, body: STALL_JS }],
    // jsQR's browser build (UMD: defines window.jsQR), from the installed package.
    ['jsqr.js', { type: js, body: readFileSync(require.resolve('jsqr'), 'utf8') }],
  ]);
}

function sendPage(reply: FastifyReply, html: string): FastifyReply {
  return reply
    .type('text/html; charset=utf-8')
    .header('content-security-policy', PAGE_CSP)
    .header('cache-control', 'no-store')
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .send(html);
}

export function attendancePageRoutes(app: FastifyInstance): void {
  const files = assets();
  const tags = ['attendance pages'];
  const pageSchema = (params?: object) => ({
    tags,
    ...(params === undefined ? {} : { params }),
    querystring: noQuery,
    produces: ['text/html'],
    response: errorResponses,
  });
  app.get('/attendance/staff', { schema: pageSchema() }, (_request, reply) => sendPage(reply, staffPage()));
  app.get<{ Params: { id: string } }>(
    '/attendance/display/:id',
    { schema: pageSchema(idParams) },
    (request, reply) => sendPage(reply, displayPage(request.params.id)),
  );
  app.get<{ Params: { code: string } }>(
    '/attendance/c/:code',
    { schema: pageSchema(codeParam) },
    (request, reply) => sendPage(reply, studentPage(request.params.code)),
  );
  app.get<{ Params: { stallId: string } }>(
    '/attendance/stall/:stallId',
    { schema: pageSchema(stallParams) },
    (request, reply) => sendPage(reply, stallPage(request.params.stallId)),
  );
  app.get<{ Params: { file: string } }>(
    '/attendance/assets/:file',
    {
      schema: {
        tags,
        params: strictObject({ file: { type: 'string', enum: [...files.keys()] } }),
        querystring: noQuery,
        response: errorResponses,
      },
    },
    (request, reply) => {
      const file = files.get(request.params.file)!;
      return reply
        .type(file.type)
        .header('cache-control', 'public, max-age=300')
        .header('x-content-type-options', 'nosniff')
        .send(file.body);
    },
  );
}
