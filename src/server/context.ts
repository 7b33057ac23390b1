/**
 * What a route plugin receives. Route plugins are listed in src/server/routes/index.ts; each is a
 * function that adds routes to an encapsulated Fastify scope, with a schema on every route
 * (params, querystring, body, response, with `additionalProperties: false` on objects).
 */
import type { FastifyInstance, preHandlerAsyncHookHandler } from 'fastify';
import type { Plexus } from '../index.js';
import type { FastRoutes } from './fast-lane.js';
import type { ProcessInfo } from './process-info.js';

export interface Lifecycle {
  /** True once shutdown began: health answers 503 so load balancers stop sending traffic. */
  readonly draining: boolean;
}

export interface ServerContext {
  readonly plexus: Plexus;
  readonly process: ProcessInfo;
  readonly lifecycle: Lifecycle;
  /** preHandler for admin-only routes (src/server/auth.ts). */
  readonly requireAdmin: preHandlerAsyncHookHandler;
  /**
   * Where a hot GET route adds the shadow that answers its common case before Fastify routes the
   * request (src/server/fast-lane.ts); undefined when the server opened no lane.
   */
  readonly fastLane: FastRoutes | undefined;
}

export type RoutePlugin = (app: FastifyInstance, context: ServerContext) => void | Promise<void>;

export const API_PREFIX = '/api/1';

/** `/api/1<path>` followed by the older paths that must keep working, for `for (const url of ...)`. */
export function apiPaths(path: string, ...aliases: string[]): string[] {
  return [`${API_PREFIX}${path}`, ...aliases];
}
