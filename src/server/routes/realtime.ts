/**
 * The realtime hub over HTTP (src/realtime/, docs/realtime.md):
 * - the WebSocket upgrade at /api/1/ws/:endpoint (alias /ws/:endpoint), handled on the node server's
 *   `upgrade` event (src/realtime/gateway.ts); connections close with 1001 in `preClose`, after this
 *   instance's presence is removed;
 * - POST /api/1/ws/:endpoint/token (signed in): a short-lived connection token for `?token=`;
 * - publishing (admin, or an account with one of the endpoint's `publishRoles`):
 *   POST /api/1/ws/:endpoint/broadcast, /user/:userId, /room/:roomId, and (admin) the
 *   seed's aliases POST /api/1/broadcast and /api/1/message/:userId on REALTIME_DEFAULT_ENDPOINT;
 * - presence and figures: GET /api/1/ws/:endpoint/user/:userId/online, (admin, paged)
 *   /api/1/ws/:endpoint/online and /api/1/ws/:endpoint/rooms/:roomId/online,
 *   /api/1/ws/:endpoint/rooms/:roomId/presence, /api/1/ws/stats (cluster-wide, admin);
 * - runtime endpoints (admin): GET /api/1/admin/ws/endpoints, PUT/GET/DELETE /api/1/admin/ws/endpoints/:name;
 * - the browser client, `plexus/realtime-client`, as ES modules at GET /realtime-client/<module>.js
 *   (REALTIME_CLIENT_PATH): wherever the hub's WebSocket is mounted, so is the client that speaks to
 *   it, and every page (the reference server's, an application's) imports it from that one path.
 */
import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { decodeCursor, encodeCursor } from '../../pagination/cursor.js';
import type { EndpointState } from '../../realtime/endpoint-state.js';
import { RealtimeError } from '../../realtime/errors.js';
import { endpointOptionsSchema, mayPublishOverRest } from '../../realtime/policy.js';
import { roomStream, userStream } from '../../realtime/protocol.js';
import { SessionError } from '../../sessions/errors.js';
import type { RoutePlugin } from '../context.js';
import { apiPaths } from '../context.js';
import { BrowserModules } from '../pages/realtime/modules.js';
import { serveModules } from '../pages/realtime/routes.js';
import { errorResponses, noQuery, strictObject } from './schemas.js';

const endpointName = {
  type: 'string',
  minLength: 1,
  maxLength: 64,
  pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$',
} as const;
const roomId = { type: 'string', minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_.:@-]+$' } as const;
const userId = { type: 'string', minLength: 1, maxLength: 256, pattern: '^[^\\s"\\\\]+$' } as const;
const integer = { type: 'integer' } as const;

const publishBody = {
  type: 'object',
  additionalProperties: false,
  required: ['event'],
  properties: {
    event: { type: 'string', minLength: 1, maxLength: 128, description: 'Event name (`ev` in the frame)' },
    data: { description: 'Any JSON value (`d` in the frame); null when absent' },
  },
} as const;
const publishReply = strictObject({
  offset: { ...integer, description: 'Offset in its stream; 0 without history or while Redis is down' },
});
const aliasBody = { type: 'object', description: 'The message, delivered as event `message`' } as const;
const aliasReply = strictObject({ success: { type: 'boolean' }, offset: integer });
const presenceReply = strictObject({ users: integer, connections: integer, instances: integer });
const onlineReply = strictObject({
  online: { type: 'boolean' },
  instances: { type: 'array', items: { type: 'string' } },
});
const statsReply = strictObject({
  endpoints: {
    type: 'array',
    items: strictObject({
      endpoint: { type: 'string' },
      users: integer,
      connections: integer,
      rooms: integer,
      instances: integer,
      messagesIn: integer,
      messagesOut: integer,
    }),
  },
});
const tokenReply = strictObject({ token: { type: 'string' }, expiresAt: integer });
const runtimeEndpoint = strictObject({
  name: { type: 'string' },
  options: endpointOptionsSchema,
  updatedAt: integer,
});

/** Where the browser client's modules are served (`<path>/index.js`), outside /api/1. */
export const REALTIME_CLIENT_PATH = '/realtime-client';

export const realtimeRoutes: RoutePlugin = (scope, { plexus, requireAdmin, lifecycle }) => {
  const app = scope.withTypeProvider<JsonSchemaToTsProvider>();
  serveModules(
    scope,
    REALTIME_CLIENT_PATH,
    new BrowserModules(new URL('../../realtime-client/', import.meta.url)),
  );
  const { realtime } = plexus;
  const gateway = realtime.gateway(() => lifecycle.draining);
  gateway.attach(app.server);
  // Presence goes first, then every connection closes with 1001 (the seed's graceful shutdown).
  app.addHook('preClose', async () => {
    await realtime.drain();
  });
  app.addHook('onClose', async () => {
    gateway.detach();
  });

  async function endpointOf(name: string): Promise<EndpointState> {
    const endpoint = await realtime.find(name);
    if (endpoint === undefined) {
      throw new RealtimeError('WS_UNKNOWN_ENDPOINT', `No WebSocket endpoint named ${JSON.stringify(name)}`);
    }
    return endpoint;
  }

  const epParams = strictObject({ endpoint: endpointName });

  app.post(
    `${apiPaths('/ws/:endpoint/token')[0]}`,
    { schema: { params: epParams, querystring: noQuery, response: { 200: tokenReply, ...errorResponses } } },
    async (request) => {
      const user = await signedInUser(request);
      const endpoint = await endpointOf(request.params.endpoint);
      return realtime.tokens.issue(endpoint.name, user);
    },
  );

  /**
   * Admins publish to any endpoint; a signed-in account with one of the endpoint's `publishRoles`
   * (an application's or a service's account) to that endpoint only.
   */
  async function authorisePublish(
    request: FastifyRequest,
    reply: FastifyReply,
    endpoint: EndpointState,
  ): Promise<void> {
    if (endpoint.policy.publishRoles.size > 0) {
      const session = await request.loadSession().catch(() => null);
      const roles = session?.user?.roles ?? [];
      if (mayPublishOverRest(endpoint.policy, roles)) return;
    }
    await requireAdmin.call(scope, request, reply);
  }

  // One route per audience: POST /api/1/ws/:endpoint/broadcast, /user/:userId and /room/:roomId.
  const audiences = [
    { path: '/ws/:endpoint/broadcast', params: epParams, stream: () => 'broadcast' },
    {
      path: '/ws/:endpoint/user/:userId',
      params: strictObject({ endpoint: endpointName, userId }),
      stream: (params: Record<string, string>) => userStream(params.userId!),
    },
    {
      path: '/ws/:endpoint/room/:roomId',
      params: strictObject({ endpoint: endpointName, roomId }),
      stream: (params: Record<string, string>) => roomStream(params.roomId!),
    },
  ] as const;
  for (const audience of audiences) {
    app.post(
      `${apiPaths(audience.path)[0]}`,
      {
        schema: {
          params: audience.params,
          querystring: noQuery,
          body: publishBody,
          response: { 200: publishReply, ...errorResponses },
        },
      },
      async (request, reply) => {
        const params = request.params as Record<string, string>;
        const endpoint = await endpointOf(params.endpoint!);
        await authorisePublish(request, reply, endpoint);
        return realtime.publish(endpoint, audience.stream(params), request.body.event, request.body.data);
      },
    );
  }

  app.get(
    `${apiPaths('/ws/:endpoint/user/:userId/online')[0]}`,
    {
      schema: {
        params: strictObject({ endpoint: endpointName, userId }),
        querystring: noQuery,
        response: { 200: onlineReply, ...errorResponses },
      },
    },
    async (request) => realtime.online(await endpointOf(request.params.endpoint), request.params.userId),
  );

  app.get(
    `${apiPaths('/ws/:endpoint/rooms/:roomId/presence')[0]}`,
    {
      schema: {
        params: strictObject({ endpoint: endpointName, roomId }),
        querystring: noQuery,
        response: { 200: presenceReply, ...errorResponses },
      },
    },
    async (request) => realtime.presence(await endpointOf(request.params.endpoint), request.params.roomId),
  );

  // Who is online (admin): one page of users with their instances, on the endpoint or in a room.
  const pageQuery = {
    type: 'object',
    additionalProperties: false,
    properties: {
      cursor: { type: 'string', maxLength: 400, description: 'The `next` of the previous page' },
      limit: { type: 'integer', minimum: 1, maximum: 500, default: 100 },
    },
  } as const;
  const onlinePage = strictObject({
    users: {
      type: 'array',
      items: strictObject({
        id: { type: 'string' },
        instances: { type: 'array', items: { type: 'string' } },
      }),
    },
    next: { type: ['string', 'null'], description: 'Cursor of the next page; null on the last one' },
  });
  const isAfter = (position: unknown): position is { a: string } =>
    typeof position === 'object' && position !== null && typeof (position as { a?: unknown }).a === 'string';
  for (const [path, params] of [
    ['/ws/:endpoint/online', epParams],
    ['/ws/:endpoint/rooms/:roomId/online', strictObject({ endpoint: endpointName, roomId })],
  ] as const) {
    app.get(
      `${apiPaths(path)[0]}`,
      {
        preHandler: requireAdmin,
        schema: { params, querystring: pageQuery, response: { 200: onlinePage, ...errorResponses } },
      },
      async (request) => {
        const { endpoint: name, roomId: room } = request.params as { endpoint: string; roomId?: string };
        const { cursor, limit } = request.query;
        const after = cursor === undefined ? '' : decodeCursor(cursor, isAfter)?.a;
        if (after === undefined)
          throw new RealtimeError('WS_BAD_REQUEST', 'The cursor is not one this server gave out');
        const page = await realtime.onlineUsers(await endpointOf(name), {
          ...(room === undefined ? {} : { room }),
          after,
          limit,
        });
        return { users: page.users, next: page.more === null ? null : encodeCursor({ a: page.more }) };
      },
    );
  }

  app.get(
    `${apiPaths('/ws/stats')[0]}`,
    {
      preHandler: requireAdmin,
      schema: { querystring: noQuery, response: { 200: statsReply, ...errorResponses } },
    },
    async () => ({ endpoints: await realtime.stats() }),
  );

  // The seed's routes: the body is the message, delivered as event `message` on the default endpoint.
  app.post(
    `${apiPaths('/broadcast')[0]}`,
    {
      preHandler: requireAdmin,
      schema: { querystring: noQuery, body: aliasBody, response: { 200: aliasReply, ...errorResponses } },
    },
    async (request) => {
      const endpoint = await endpointOf(realtime.config.defaultEndpoint);
      const { offset } = await realtime.publish(endpoint, 'broadcast', 'message', request.body);
      return { success: true, offset };
    },
  );

  app.post(
    `${apiPaths('/message/:userId')[0]}`,
    {
      preHandler: requireAdmin,
      schema: {
        params: strictObject({ userId }),
        querystring: noQuery,
        body: aliasBody,
        response: { 200: aliasReply, ...errorResponses },
      },
    },
    async (request) => {
      const endpoint = await endpointOf(realtime.config.defaultEndpoint);
      const { offset } = await realtime.publish(
        endpoint,
        `user:${request.params.userId}`,
        'message',
        request.body,
      );
      return { success: true, offset };
    },
  );

  // Runtime endpoints.
  const adminPath = `${apiPaths('/admin/ws/endpoints')[0]}`;
  app.get(
    adminPath,
    {
      preHandler: requireAdmin,
      schema: {
        querystring: noQuery,
        response: {
          200: strictObject({ endpoints: { type: 'array', items: runtimeEndpoint } }),
          ...errorResponses,
        },
      },
    },
    async () => ({ endpoints: await realtime.runtime.list() }),
  );

  app.get(
    `${adminPath}/:name`,
    {
      preHandler: requireAdmin,
      schema: {
        params: strictObject({ name: endpointName }),
        querystring: noQuery,
        response: { 200: runtimeEndpoint, ...errorResponses },
      },
    },
    async (request) => {
      const found = await realtime.runtime.get(request.params.name);
      if (found === undefined) {
        throw new RealtimeError(
          'WS_UNKNOWN_ENDPOINT',
          `No runtime endpoint named ${JSON.stringify(request.params.name)}`,
        );
      }
      return found;
    },
  );

  app.put(
    `${adminPath}/:name`,
    {
      preHandler: requireAdmin,
      schema: {
        params: strictObject({ name: endpointName }),
        querystring: noQuery,
        body: endpointOptionsSchema,
        response: { 200: runtimeEndpoint, ...errorResponses },
      },
    },
    async (request) => {
      await realtime.runtime.put(request.params.name, request.body);
      return (await realtime.runtime.get(request.params.name))!;
    },
  );

  app.delete(
    `${adminPath}/:name`,
    {
      preHandler: requireAdmin,
      schema: {
        params: strictObject({ name: endpointName }),
        querystring: noQuery,
        response: { 200: strictObject({ removed: { type: 'boolean' } }), ...errorResponses },
      },
    },
    async (request) => ({ removed: await realtime.runtime.remove(request.params.name) }),
  );
};

async function signedInUser(request: FastifyRequest): Promise<{ id: string; roles: string[] }> {
  const session = await request.requireSession();
  if (session.user === null) throw new SessionError('AUTH_REQUIRED', 'Sign in first');
  return { id: session.user.id, roles: session.user.roles ?? [] };
}
