/**
 * The realtime hub over HTTP (src/realtime/, docs/realtime.md):
 * - the WebSocket upgrade at /api/1/ws/:endpoint (alias /ws/:endpoint), handled on the node server's
 *   `upgrade` event (src/realtime/gateway.ts); connections close with 1001 in `preClose`, after this
 *   instance's presence is removed;
 * - POST /api/1/ws/:endpoint/token (signed in): a short-lived connection token for `?token=`;
 * - publishing (admin): POST /api/1/ws/:endpoint/broadcast, /user/:userId, /room/:roomId, and the
 *   seed's aliases POST /api/1/broadcast and /api/1/message/:userId on REALTIME_DEFAULT_ENDPOINT;
 * - presence and figures: GET /api/1/ws/:endpoint/user/:userId/online,
 *   /api/1/ws/:endpoint/rooms/:roomId/presence, /api/1/ws/stats (cluster-wide, admin);
 * - runtime endpoints (admin): GET /api/1/admin/ws/endpoints, PUT/GET/DELETE /api/1/admin/ws/endpoints/:name.
 */
import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts';
import type { FastifyRequest } from 'fastify';
import type { EndpointState } from '../../realtime/endpoint-state.js';
import { RealtimeError } from '../../realtime/errors.js';
import { endpointOptionsSchema } from '../../realtime/policy.js';
import { SessionError } from '../../sessions/errors.js';
import type { RoutePlugin } from '../context.js';
import { apiPaths } from '../context.js';
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

export const realtimeRoutes: RoutePlugin = (scope, { plexus, requireAdmin, lifecycle }) => {
  const app = scope.withTypeProvider<JsonSchemaToTsProvider>();
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

  app.post(
    `${apiPaths('/ws/:endpoint/broadcast')[0]}`,
    {
      preHandler: requireAdmin,
      schema: {
        params: epParams,
        querystring: noQuery,
        body: publishBody,
        response: { 200: publishReply, ...errorResponses },
      },
    },
    async (request) => {
      const endpoint = await endpointOf(request.params.endpoint);
      return realtime.publish(endpoint, 'broadcast', request.body.event, request.body.data);
    },
  );

  app.post(
    `${apiPaths('/ws/:endpoint/user/:userId')[0]}`,
    {
      preHandler: requireAdmin,
      schema: {
        params: strictObject({ endpoint: endpointName, userId }),
        querystring: noQuery,
        body: publishBody,
        response: { 200: publishReply, ...errorResponses },
      },
    },
    async (request) => {
      const endpoint = await endpointOf(request.params.endpoint);
      return realtime.publish(
        endpoint,
        `user:${request.params.userId}`,
        request.body.event,
        request.body.data,
      );
    },
  );

  app.post(
    `${apiPaths('/ws/:endpoint/room/:roomId')[0]}`,
    {
      preHandler: requireAdmin,
      schema: {
        params: strictObject({ endpoint: endpointName, roomId }),
        querystring: noQuery,
        body: publishBody,
        response: { 200: publishReply, ...errorResponses },
      },
    },
    async (request) => {
      const endpoint = await endpointOf(request.params.endpoint);
      return realtime.publish(
        endpoint,
        `room:${request.params.roomId}`,
        request.body.event,
        request.body.data,
      );
    },
  );

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
