/**
 * HTTP API of the QR app, under /api/1/qr:
 *
 *   GET    /students/:id            { success, qr_token, qr_image (PNG data URL), cached }
 *   GET    /students/:id.png|.svg   the image (?size=&margin=), with ETag and Cache-Control
 *   GET    /stalls/:id[.png|.svg]   likewise
 *   POST   /verify                  { token } → { valid: true, type, id, name } | { valid: false, error }
 *   admin: POST /warm, GET /warm/:job, DELETE /(students|stalls)/:id/cache,
 *          POST /(students|stalls)/:id/revoke, GET /stats
 *
 * Images are served with a strong ETag (a digest of the bytes) and `Cache-Control: private`
 * (a code is a personal credential, so shared caches must not keep it) for QR_HTTP_MAX_AGE_SECONDS;
 * a request with a matching If-None-Match gets 304. `X-Cache` says whether the cache had it.
 */
import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { FromSchema } from 'json-schema-to-ts';
import { apiPaths, type ServerContext } from '../../server/context.js';
import { binaryAnswer, type FastAnswer, type FastHandler } from '../../server/fast-lane.js';
import { errorResponses, noQuery, strictObject } from '../../server/routes/schemas.js';
import type { QREntry } from './entry.js';
import {
  CONTENT_TYPES,
  IMAGE_MARGIN_LIMITS,
  IMAGE_SIZE_LIMITS,
  type ImageFormat,
  type ImageOptions,
} from './image/render.js';
import type { QRImage } from './images.js';
import type { WarmJob } from './jobs.js';
import type { QRService } from './service.js';
import type { SubjectType } from './tokens/types.js';

const PLURAL: Record<SubjectType, string> = { student: 'students', stall: 'stalls' };

const idParams = strictObject({ id: { type: 'string', minLength: 1, maxLength: 200 } });
const imageQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    size: { type: 'integer', minimum: IMAGE_SIZE_LIMITS.min, maximum: IMAGE_SIZE_LIMITS.max },
    margin: { type: 'integer', minimum: IMAGE_MARGIN_LIMITS.min, maximum: IMAGE_MARGIN_LIMITS.max },
  },
} as const;

type IdParams = FromSchema<typeof idParams>;
type ImageQuery = FromSchema<typeof imageQuery>;

const qrResultSchema = strictObject({
  success: { type: 'boolean' },
  qr_token: { type: 'string' },
  qr_image: { type: 'string' },
  cached: { type: 'boolean' },
});

const verifyResultSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['valid'],
  properties: {
    valid: { type: 'boolean' },
    type: { type: 'string', enum: ['student', 'stall'] },
    id: { type: 'string' },
    name: { type: 'string' },
    error: { type: 'string', enum: ['malformed', 'tampered', 'revoked', 'unknown'] },
  },
} as const;

const progressSchema = {
  type: ['object', 'null'],
  additionalProperties: false,
  required: ['done', 'total', 'loaded', 'skipped', 'failed', 'rate', 'elapsedMs', 'etaMs'],
  properties: {
    done: { type: 'integer' },
    total: { type: ['integer', 'null'] },
    loaded: { type: 'integer' },
    skipped: { type: 'integer' },
    failed: { type: 'integer' },
    rate: { type: 'number' },
    elapsedMs: { type: 'number' },
    etaMs: { type: ['number', 'null'] },
  },
} as const;

const warmJobSchema = strictObject({
  id: { type: 'string' },
  state: { type: 'string', enum: ['running', 'done', 'failed'] },
  students: progressSchema,
  stalls: progressSchema,
  refresh: { type: 'boolean' },
  startedAt: { type: 'string' },
  finishedAt: { type: ['string', 'null'] },
  error: { type: ['string', 'null'] },
});

const subjectStatsSchema = strictObject({
  entries: { type: 'integer' },
  bytes: { type: 'integer' },
  sampled: { type: 'integer' },
  hits: { type: 'integer' },
  misses: { type: 'integer' },
  hitRate: { type: 'number' },
  clusterWide: { type: 'boolean' },
});

const statsSchema = strictObject({
  connected: { type: 'boolean' },
  totalQRsCached: { type: 'integer' },
  bytes: { type: 'integer' },
  hitRate: { type: 'number' },
  students: subjectStatsSchema,
  stalls: subjectStatsSchema,
});

/** An image's caching headers, flat (`[name, value, ...]`): the route's and the fast lane's. */
function imageHeaders(etag: string, cached: boolean, cacheControl: string): string[] {
  return ['etag', etag, 'cache-control', cacheControl, 'x-cache', cached ? 'HIT' : 'MISS'];
}

function sendImage(
  request: FastifyRequest,
  reply: FastifyReply,
  image: QRImage,
  cacheControl: string,
): FastifyReply {
  const headers = imageHeaders(image.etag, image.cached, cacheControl);
  for (let i = 0; i < headers.length; i += 2) reply.header(headers[i]!, headers[i + 1]);
  const match = request.headers['if-none-match'];
  if (match !== undefined && matchesEtag(match, image.etag)) return reply.code(304).send();
  return reply.type(CONTENT_TYPES[image.format]).send(image.body);
}

function matchesEtag(header: string, etag: string): boolean {
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}

/**
 * The fast lane's image route (src/server/fast-lane.ts): an image with the default options in
 * this instance's cache, to a request without If-None-Match (a revalidation is the route's). The
 * answer is kept with the cache entry, so it is built once per entry.
 */
function imageFromCache(
  qr: QRService,
  type: SubjectType,
  options: ImageOptions,
  cacheControl: string,
): FastHandler {
  const answers = new WeakMap<QREntry, FastAnswer>();
  const contentType = CONTENT_TYPES[options.format];
  return (request, id) => {
    if (request.headers['if-none-match'] !== undefined) return undefined;
    const entry = qr.images.entryAtHand(type, id, options);
    if (entry === undefined) return undefined;
    let answer = answers.get(entry);
    if (answer === undefined) {
      const headers = imageHeaders(entry.etag, true, cacheControl);
      headers.push('content-type', contentType);
      answer = binaryAnswer(headers, entry.body);
      answers.set(entry, answer);
    }
    return answer;
  };
}

/** The query's options over the defaults; the same object for every request without a query. */
function imageOptions(defaults: ImageOptions, query: ImageQuery): ImageOptions {
  if (query.size === undefined && query.margin === undefined) return defaults;
  return { ...defaults, ...query };
}

export function qrRoutes(
  scope: FastifyInstance,
  { requireAdmin, fastLane }: ServerContext,
  qr: QRService,
): void {
  const app = scope.withTypeProvider<JsonSchemaToTsProvider>();
  const cacheControl = `private, max-age=${qr.config.httpMaxAgeSeconds}`;
  const defaults = { png: qr.images.defaults('png'), svg: qr.images.defaults('svg') };

  for (const type of ['student', 'stall'] as const) {
    const base = `/qr/${PLURAL[type]}`;
    for (const url of apiPaths(`${base}/:id`)) {
      app.get(
        url,
        {
          schema: {
            params: idParams,
            querystring: imageQuery,
            response: { 200: qrResultSchema, ...errorResponses },
          },
        },
        (request) =>
          type === 'student'
            ? qr.getStudentQRById(request.params.id, request.query)
            : qr.getStallQRById(request.params.id, request.query),
      );
    }
    for (const format of ['png', 'svg'] as const satisfies readonly ImageFormat[]) {
      for (const url of apiPaths(`${base}/:id.${format}`)) {
        // On the plain instance, with the request's types derived from the schemas: the handler
        // returns the reply it sent, which a type provider's handler type does not allow.
        scope.get<{ Params: IdParams; Querystring: ImageQuery }>(
          url,
          { schema: { params: idParams, querystring: imageQuery, response: errorResponses } },
          // Not async: an image in this instance's cache is sent without a promise or a tick.
          (request, reply) => {
            const options = imageOptions(defaults[format], request.query);
            const image = qr.imageAtHand(type, request.params.id, options);
            if (image !== undefined) return sendImage(request, reply, image, cacheControl);
            return qr
              .getImage(type, request.params.id, options)
              .then((loaded) => sendImage(request, reply, loaded, cacheControl));
          },
        );
        fastLane?.get(url, imageFromCache(qr, type, defaults[format], cacheControl));
      }
    }
    for (const url of apiPaths(`${base}/:id/cache`)) {
      app.delete(
        url,
        {
          preHandler: requireAdmin,
          schema: {
            params: idParams,
            querystring: noQuery,
            response: {
              200: strictObject({ success: { type: 'boolean' }, deleted: { type: 'integer' } }),
              ...errorResponses,
            },
          },
        },
        async (request) => ({
          success: true,
          deleted: await qr.clearQRCache({ type, id: request.params.id }),
        }),
      );
    }
    for (const url of apiPaths(`${base}/:id/revoke`)) {
      app.post(
        url,
        {
          preHandler: requireAdmin,
          schema: {
            params: idParams,
            querystring: noQuery,
            response: {
              200: strictObject({
                success: { type: 'boolean' },
                id: { type: 'string' },
                token_version: { type: 'integer' },
              }),
              ...errorResponses,
            },
          },
        },
        async (request) => ({
          success: true,
          id: request.params.id,
          token_version: await qr.revoke(type, request.params.id),
        }),
      );
    }
  }

  for (const url of apiPaths('/qr/verify')) {
    app.post(
      url,
      {
        schema: {
          querystring: noQuery,
          body: strictObject({ token: { type: 'string' } }),
          response: { 200: verifyResultSchema, ...errorResponses },
        },
      },
      (request) => qr.verifyQRToken(request.body.token),
    );
  }

  for (const url of apiPaths('/qr/warm')) {
    app.post(
      url,
      {
        preHandler: requireAdmin,
        // An empty POST means the defaults.
        preValidation: async (request) => {
          if (request.body === undefined || request.body === null) request.body = {};
        },
        schema: {
          querystring: noQuery,
          body: {
            type: 'object',
            additionalProperties: false,
            properties: {
              targets: { type: 'string', enum: ['students', 'stalls', 'both'] },
              refresh: { type: 'boolean' },
            },
          },
          response: { 202: warmJobSchema, ...errorResponses },
        },
      },
      async (request, reply) => {
        const targets = request.body.targets ?? 'both';
        const types: SubjectType[] =
          targets === 'both' ? ['student', 'stall'] : targets === 'students' ? ['student'] : ['stall'];
        const job: WarmJob = qr.jobs.start(types, request.body.refresh ?? false);
        return reply.code(202).header('location', `${url}/${job.id}`).send(job);
      },
    );
    app.get(
      `${url}/:job`,
      {
        preHandler: requireAdmin,
        schema: {
          params: strictObject({ job: { type: 'string', maxLength: 64 } }),
          querystring: noQuery,
          response: { 200: warmJobSchema, ...errorResponses },
        },
      },
      async (request, reply) => {
        const job = await qr.jobs.get(request.params.job);
        if (job === undefined) {
          return reply
            .code(404)
            .send({ error: { code: 'NOT_FOUND', message: `No warming job ${request.params.job}` } });
        }
        return job;
      },
    );
  }

  for (const url of apiPaths('/qr/stats')) {
    app.get(
      url,
      {
        preHandler: requireAdmin,
        schema: { querystring: noQuery, response: { 200: statsSchema, ...errorResponses } },
      },
      () => qr.getQRCacheStats(),
    );
  }
}
