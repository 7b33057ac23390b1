/**
 * The one place where error codes become HTTP statuses, and the error handler that sends every
 * failure as `{ "error": { "code", "message" } }`.
 *
 * Route handlers throw a `PlexusError` whose code is listed in `STATUS_BY_CODE` (a core module adds
 * one line per code it lets reach clients; an application lists its own in its definition's
 * `errors`, and the server resolves with both: `errorHandlerFor(statuses)`). Fastify's own failures (malformed JSON, schema validation,
 * oversized or unsupported bodies) are translated to stable codes here. Anything else is a bug: the
 * client gets 500 INTERNAL_ERROR without details, and the log gets the error with its stack.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { DASHBOARD_ERROR_STATUS } from '../dashboard/errors.js';
import { isDatabaseUnavailable } from '../db/errors.js';
import { PlexusError } from '../errors.js';
import { FLAG_ERROR_STATUS } from '../flags/errors.js';
import { REALTIME_ERROR_STATUS } from '../realtime/errors.js';
import { SESSION_ERROR_STATUS } from '../sessions/errors.js';
import { SETTINGS_ERROR_STATUS } from '../settings/errors.js';

// SESSION_ID_TAKEN is a server fault: it is answered as INTERNAL_ERROR, without details.
const { SESSION_ID_TAKEN: _serverFault, ...clientSessionErrors } = SESSION_ERROR_STATUS;

export const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  // Request problems detected by the server itself.
  BAD_REQUEST: 400,
  INVALID_JSON: 400,
  VALIDATION_FAILED: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  BODY_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  EXPECTATION_FAILED: 417,
  HEADERS_TOO_LARGE: 431,
  REQUEST_TIMEOUT: 408,
  INTERNAL_ERROR: 500,
  // Foundation (src/errors.ts).
  PLEXUS_INVALID_ARGUMENT: 400,
  PLEXUS_UNSUPPORTED: 501,
  REDIS_UNAVAILABLE: 503,
  REDIS_TIMEOUT: 503,
  // Database (src/db/errors.ts).
  DB_UNAVAILABLE: 503,
  // Sessions and accounts (src/sessions/errors.ts, whose table SessionError's statusCode reads too;
  // src/accounts/errors.ts).
  ...clientSessionErrors,
  LOGIN_RATE_LIMITED: 429,
  ACCOUNT_EXISTS: 409,
  ACCOUNT_INVALID: 400,
  // Bus and metrics (src/bus/errors.ts, src/metrics/errors.ts), for application routes using them.
  BUS_INVALID_CHANNEL: 400,
  BUS_RESERVED_CHANNEL: 400,
  BUS_PATTERN_UNSUPPORTED: 400,
  BUS_INVALID_PAYLOAD: 400,
  BUS_PAYLOAD_TOO_LARGE: 413,
  BUS_CLOSED: 503,
  METRICS_INVALID_NAME: 400,
  METRICS_INVALID_ARGUMENT: 400,
  // Realtime (src/realtime/errors.ts).
  ...REALTIME_ERROR_STATUS,
  // Configuration values and feature flags (src/settings/errors.ts, src/flags/errors.ts).
  ...SETTINGS_ERROR_STATUS,
  ...FLAG_ERROR_STATUS,
  // Admin dashboard (src/dashboard/errors.ts).
  ...DASHBOARD_ERROR_STATUS,
};

export interface ErrorBody {
  /** `requestId`: the request's id (also in `X-Request-Id`), when the error answers a request. */
  error: { code: string; message: string; requestId?: string };
}

/** Fastify's errors for unusable request bodies, by their code. */
const FASTIFY_CODES: Readonly<Record<string, { status: number; code: string }>> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'INVALID_JSON' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'INVALID_JSON' },
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'BODY_TOO_LARGE' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'BAD_REQUEST' },
};

export interface ResolvedError {
  status: number;
  body: ErrorBody;
  /** Server-side faults are logged with their stack; client mistakes are not. */
  fault: boolean;
}

export function resolveError(
  error: unknown,
  statuses: Readonly<Record<string, number>> = STATUS_BY_CODE,
): ResolvedError {
  if (error instanceof PlexusError) {
    const status = statuses[error.code];
    if (status !== undefined) return reply(status, error.code, error.message);
    return internal();
  }
  if (isDatabaseUnavailable(error))
    return reply(503, 'DB_UNAVAILABLE', 'Database is unavailable, retry shortly');
  const fastify = error as Partial<FastifyError>;
  if (fastify.validation !== undefined) return reply(400, 'VALIDATION_FAILED', String(fastify.message));
  const known = fastify.code === undefined ? undefined : FASTIFY_CODES[fastify.code];
  if (known !== undefined) return reply(known.status, known.code, String(fastify.message));
  // JSON.parse failures reach us as SyntaxError with statusCode 400.
  if (error instanceof SyntaxError && fastify.statusCode === 400) {
    return reply(400, 'INVALID_JSON', `Body is not valid JSON: ${error.message}`);
  }
  const status = fastify.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return reply(status, status === 404 ? 'NOT_FOUND' : 'BAD_REQUEST', String(fastify.message));
  }
  return internal();
}

export type ErrorHandler = (error: unknown, request: FastifyRequest, reply: FastifyReply) => void;

/** The JSON error contract over the core's codes and `extra` ones (the installed applications'). */
export function errorHandlerFor(extra: Readonly<Record<string, number>> = {}): ErrorHandler {
  const statuses = { ...STATUS_BY_CODE, ...extra };
  return (error, request, replyTo) => {
    const resolved = resolveError(error, statuses);
    if (resolved.fault) {
      request.log.error({ err: error }, 'request failed');
    }
    if (resolved.status === 401) replyTo.header('www-authenticate', 'Bearer realm="plexus"');
    if (resolved.status === 503) replyTo.header('retry-after', '1');
    // Also here: a framework error (a malformed URL) is answered before the onRequest hooks run.
    resolved.body.error.requestId = request.id;
    replyTo.header('x-request-id', request.id);
    void replyTo.code(resolved.status).send(resolved.body);
  };
}

/** The handler for the core's codes only. */
export const errorHandler: ErrorHandler = errorHandlerFor();

export function notFoundHandler(request: FastifyRequest, replyTo: FastifyReply): void {
  const path = (request.url.split('?')[0] ?? '').slice(0, 200);
  const notFound = body('NOT_FOUND', `No route for ${request.method} ${path}`);
  notFound.error.requestId = request.id;
  void replyTo.code(404).send(notFound);
}

function reply(status: number, code: string, message: string): ResolvedError {
  return { status, body: body(code, message), fault: status >= 500 && status !== 503 };
}

function internal(): ResolvedError {
  return { status: 500, body: body('INTERNAL_ERROR', 'Internal server error'), fault: true };
}

function body(code: string, message: string): ErrorBody {
  return { error: { code, message } };
}

/**
 * An HTTP/1.1 request without a Host header is malformed (RFC 9112 §3.2); Node would answer it
 * with an empty 400 before Fastify saw it (its `requireHostHeader`, turned off in app.ts so that
 * the answer follows the JSON contract). HTTP/1.0 has no Host requirement.
 */
export function lacksHost(request: IncomingMessage): boolean {
  return (
    request.headers.host === undefined && request.httpVersionMajor === 1 && request.httpVersionMinor === 1
  );
}

/**
 * The answer to a request that `lacksHost`, sent from the server's request listener before
 * Fastify sees the request (a check there costs one property read; an `onRequest` hook would cost
 * every request a pass through Fastify's hook runner). The connection is closed after it.
 */
export function missingHost(request: IncomingMessage, response: ServerResponse, requestId: string): void {
  const missing = body('BAD_REQUEST', 'HTTP/1.1 requests must carry a Host header');
  missing.error.requestId = requestId;
  endOutsideFastify(response, 400, missing, { 'x-request-id': requestId });
  request.resume();
}

/**
 * The server's `checkExpectation` listener: a request whose Expect header is not `100-continue`
 * (which Node handles) gets 417 in the JSON contract, as Node would without a body. The request
 * never reaches Fastify, so it has no request id.
 */
export function expectationFailed(request: IncomingMessage, response: ServerResponse): void {
  const expected = String(request.headers.expect).slice(0, 100);
  endOutsideFastify(response, 417, body('EXPECTATION_FAILED', `Unsupported Expect header: ${expected}`));
}

/** An error answer sent on Node's response, for requests Fastify never sees; closes the connection. */
function endOutsideFastify(
  response: ServerResponse,
  status: number,
  error: ErrorBody,
  headers: Record<string, string> = {},
): void {
  const payload = JSON.stringify(error);
  response.writeHead(status, {
    ...headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
    connection: 'close',
  });
  response.end(payload);
}

/** Malformed HTTP (bad request line, oversized headers) never reaches Fastify's router. */
export function clientErrorHandler(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code, message] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'HEADERS_TOO_LARGE', 'Request headers are too large']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'REQUEST_TIMEOUT', 'The request took too long to arrive']
        : [400, 'BAD_REQUEST', 'Malformed HTTP request'];
  const payload = JSON.stringify(body(code, message));
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${code}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(payload)}\r\nConnection: close\r\n\r\n${payload}`,
    );
  }
  socket.destroy(error);
}
