/**
 * Feature flags over HTTP (src/flags/):
 *   GET    /api/1/features                     every flag evaluated for the caller (session user)
 *   GET    /api/1/features/:name               { name, enabled, variant?, value, reason } for the caller
 *   GET    /api/1/admin/features               every flag's definition (admin)
 *   GET    /api/1/admin/features/:name         one definition with its version, also as ETag (admin)
 *   PUT    /api/1/admin/features/:name         a definition; If-Match: "<version>" (admin)
 *   DELETE /api/1/admin/features/:name         If-Match as for PUT (admin)
 *   GET    /api/1/admin/features/:name/audit   the flag's changes, newest first (cursor, limit; admin)
 * The caller is the session's user and roles; without a session, an anonymous context.
 */
import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts';
import type { FastifyRequest } from 'fastify';
import { FlagError } from '../../flags/errors.js';
import type { FlagContext, FlagResult } from '../../flags/evaluate.js';
import type { RoutePlugin } from '../context.js';
import { apiPaths } from '../context.js';
import { ifMatchVersion, setVersionTag } from './if-match.js';
import { errorResponses, noQuery } from './schemas.js';
import { adminActor } from './settings.js';
import {
  auditPageSchema,
  deletedSchema,
  evaluationListSchema,
  evaluationSchema,
  flagDefinitionSchema,
  flagListSchema,
  flagParams,
  flagRecordSchema,
  ifMatchHeaders,
  pageQuery,
} from './settings-schemas.js';

const ANONYMOUS: FlagContext = {};

async function callerOf(request: FastifyRequest): Promise<FlagContext> {
  const session = request.sessionAtHand() ?? (await request.loadSession().catch(() => null));
  const user = session?.user;
  return user ? { userId: user.id, roles: user.roles ?? [] } : ANONYMOUS;
}

function evaluationBody(result: FlagResult) {
  return {
    name: result.flag,
    enabled: result.enabled,
    ...(result.variant === undefined ? {} : { variant: result.variant }),
    value: result.value,
    reason: result.reason,
  };
}

export const featuresRoutes: RoutePlugin = (scope, { plexus, requireAdmin }) => {
  const app = scope.withTypeProvider<JsonSchemaToTsProvider>();
  const { flags } = plexus;

  app.get(
    apiPaths('/features')[0]!,
    { schema: { querystring: noQuery, response: { 200: evaluationListSchema, ...errorResponses } } },
    async (request) => ({ items: (await flags.evaluateAll(await callerOf(request))).map(evaluationBody) }),
  );

  app.get(
    apiPaths('/features/:name')[0]!,
    {
      schema: {
        params: flagParams,
        querystring: noQuery,
        response: { 200: evaluationSchema, ...errorResponses },
      },
    },
    async (request) => {
      const result = await flags.evaluate(request.params.name, await callerOf(request));
      if (result.errorCode === 'FLAG_NOT_FOUND') {
        throw new FlagError('FLAG_NOT_FOUND', `No flag named ${request.params.name}`);
      }
      return evaluationBody(result);
    },
  );

  app.get(
    apiPaths('/admin/features')[0]!,
    {
      preHandler: requireAdmin,
      schema: { querystring: noQuery, response: { 200: flagListSchema, ...errorResponses } },
    },
    async () => ({ items: await flags.list() }),
  );

  app.get(
    apiPaths('/admin/features/:name')[0]!,
    {
      preHandler: requireAdmin,
      schema: { params: flagParams, response: { 200: flagRecordSchema, ...errorResponses } },
    },
    async (request, reply) => {
      const record = await flags.get(request.params.name);
      if (record === null) throw new FlagError('FLAG_NOT_FOUND', `No flag named ${request.params.name}`);
      setVersionTag(reply, record.version);
      return record;
    },
  );

  app.put(
    apiPaths('/admin/features/:name')[0]!,
    {
      preHandler: requireAdmin,
      bodyLimit: plexus.config.settings.maxValueBytes + 1024,
      schema: {
        params: flagParams,
        headers: ifMatchHeaders,
        body: flagDefinitionSchema,
        response: { 200: flagRecordSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const ifVersion = ifMatchVersion(request.headers['if-match']);
      const record = await flags.put(request.params.name, request.body, {
        ...(ifVersion === undefined ? {} : { ifVersion }),
        by: await adminActor(request),
      });
      setVersionTag(reply, record.version);
      return record;
    },
  );

  app.delete(
    apiPaths('/admin/features/:name')[0]!,
    {
      preHandler: requireAdmin,
      schema: {
        params: flagParams,
        headers: ifMatchHeaders,
        response: { 200: deletedSchema, ...errorResponses },
      },
    },
    async (request) => {
      const ifVersion = ifMatchVersion(request.headers['if-match']);
      const removed = await flags.remove(request.params.name, {
        ...(ifVersion === undefined ? {} : { ifVersion }),
        by: await adminActor(request),
      });
      return { deleted: true, version: removed.version };
    },
  );

  app.get(
    apiPaths('/admin/features/:name/audit')[0]!,
    {
      preHandler: requireAdmin,
      schema: {
        params: flagParams,
        querystring: pageQuery,
        response: { 200: auditPageSchema, ...errorResponses },
      },
    },
    async (request) => {
      const { cursor, limit } = request.query;
      return flags.audit(request.params.name, { ...(cursor === undefined ? {} : { cursor }), limit });
    },
  );
};
