/**
 * Configuration values over HTTP (src/settings/), admin only:
 *   GET    /api/1/admin/config/:collection             one page of a collection (cursor, limit)
 *   GET    /api/1/admin/config/:collection/:key        one value with its version (also as ETag)
 *   PUT    /api/1/admin/config/:collection/:key        { value }; If-Match: "<version>" for compare-and-set
 *   DELETE /api/1/admin/config/:collection/:key        If-Match as for PUT
 * A stale If-Match answers 409 SETTINGS_VERSION_CONFLICT and changes nothing; a database that
 * cannot be written answers 503 SETTINGS_UNAVAILABLE.
 */
import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts';
import type { FastifyRequest } from 'fastify';
import { SettingsError } from '../../settings/errors.js';
import type { JsonValue } from '../../settings/types.js';
import type { RoutePlugin } from '../context.js';
import { apiPaths } from '../context.js';
import { ifMatchVersion, setVersionTag } from './if-match.js';
import { errorResponses } from './schemas.js';
import {
  collectionParams,
  deletedSchema,
  ifMatchHeaders,
  pageQuery,
  settingBody,
  settingParams,
  settingSchema,
  settingsPageSchema,
} from './settings-schemas.js';

/** Who makes an admin change, for `updated_by` and the audit trail. */
export async function adminActor(request: FastifyRequest): Promise<string> {
  const session = await request.loadSession().catch(() => null);
  return session?.user ? `user:${session.user.id}` : 'admin-token';
}

export const settingsRoutes: RoutePlugin = (scope, { plexus, requireAdmin }) => {
  const app = scope.withTypeProvider<JsonSchemaToTsProvider>();
  const { settings } = plexus;
  const [one] = apiPaths('/admin/config/:collection/:key');
  const [page] = apiPaths('/admin/config/:collection');

  app.get(
    page!,
    {
      preHandler: requireAdmin,
      schema: {
        params: collectionParams,
        querystring: pageQuery,
        response: { 200: settingsPageSchema, ...errorResponses },
      },
    },
    async (request) => {
      const { cursor, limit } = request.query;
      return settings.list(request.params.collection, { ...(cursor === undefined ? {} : { cursor }), limit });
    },
  );

  app.get(
    one!,
    {
      preHandler: requireAdmin,
      schema: { params: settingParams, response: { 200: settingSchema, ...errorResponses } },
    },
    async (request, reply) => {
      const { collection, key } = request.params;
      const entry = await settings.get(collection, key);
      if (entry === null) throw new SettingsError('SETTINGS_NOT_FOUND', `No value ${collection}/${key}`);
      setVersionTag(reply, entry.version);
      return entry;
    },
  );

  app.put(
    one!,
    {
      preHandler: requireAdmin,
      bodyLimit: plexus.config.settings.maxValueBytes + 1024,
      schema: {
        params: settingParams,
        headers: ifMatchHeaders,
        body: settingBody,
        response: { 200: settingSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { collection, key } = request.params;
      const ifVersion = ifMatchVersion(request.headers['if-match']);
      const entry = await settings.set(collection, key, request.body.value as JsonValue, {
        ...(ifVersion === undefined ? {} : { ifVersion }),
        by: await adminActor(request),
      });
      setVersionTag(reply, entry.version);
      return entry;
    },
  );

  app.delete(
    one!,
    {
      preHandler: requireAdmin,
      schema: {
        params: settingParams,
        headers: ifMatchHeaders,
        response: { 200: deletedSchema, ...errorResponses },
      },
    },
    async (request) => {
      const { collection, key } = request.params;
      const ifVersion = ifMatchVersion(request.headers['if-match']);
      const removed = await settings.delete(collection, key, {
        ...(ifVersion === undefined ? {} : { ifVersion }),
        by: await adminActor(request),
      });
      return { deleted: true, version: removed.version };
    },
  );
};
