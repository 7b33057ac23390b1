/**
 * Starts the reference server on a free port over real HTTP, with an explicit environment (never
 * process.env) so that tests cannot leak settings into each other.
 */
import { createServer as createNetServer } from 'node:net';
import { defineApp } from '../../../src/application/definition.js';
import { selectApps } from '../../../src/application/select.js';
import { bundledApps } from '../../../src/apps/index.js';
import type { QRService } from '../../../src/apps/qr/service.js';
import { loadConfig } from '../../../src/config/index.js';
import { createPlexus, type Plexus } from '../../../src/index.js';
import type { RoutePlugin } from '../../../src/server/context.js';
import { HANDOFF_MESSAGE } from '../../../src/server/handed-connections.js';
import { createServer, type PlexusServer } from '../../../src/server/index.js';

export interface Running {
  url: string;
  plexus: Plexus;
  server: PlexusServer;
  stop(): Promise<boolean>;
}

export interface StartOptions {
  env?: Record<string, string>;
  extraRoutes?: RoutePlugin[];
  /** Skip plexus.start() (to test a database that cannot be opened). */
  connect?: 'all' | 'redis-only';
  /**
   * Serve as a worker of `plexus start --workers` does: connections handed over by a primary
   * (here one in this process, handingPrimary) rather than listening; `stop()` stops the primary
   * first, as the real one stops accepting before it signals its workers.
   */
  handed?: boolean;
}

export async function startServer(options: StartOptions = {}): Promise<Running> {
  const env = { HOST: '127.0.0.1', PORT: '0', DATABASE_URL: 'sqlite::memory:', ...options.env };
  // As `plexus start` does: the bundled applications (PLEXUS_APPS chooses), and the test's routes
  // as one more application, so that they get the server's validation and error contract.
  const apps = [...selectApps(bundledApps, loadConfig(env).server.apps)];
  if (options.extraRoutes !== undefined) apps.push(testRoutesApp(options.extraRoutes));
  const plexus = createPlexus({ env, apps });
  const server = createServer(plexus);
  if (options.connect === 'redis-only') await plexus.redis.connect();
  else await plexus.start();
  if (options.handed !== true) {
    const url = await server.listen();
    return { url, plexus, server, stop: () => server.stop() };
  }
  const primary = await handingPrimary();
  await server.acceptHanded();
  return {
    url: primary.url,
    plexus,
    server,
    stop: () => {
      primary.close();
      return server.stop();
    },
  };
}

/**
 * Stands in for the cluster primary (src/cli/distributor.ts) in this process: accepts on a free
 * port and hands each connection over as the primary's IPC message does.
 */
async function handingPrimary(): Promise<{ url: string; close(): void }> {
  const listener = createNetServer({ pauseOnConnect: true }, (socket) => {
    process.emit('message', HANDOFF_MESSAGE, socket);
    // Across processes the worker gets a new socket, reading; within one, the paused original.
    socket.resume();
  });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const address = listener.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return { url: `http://127.0.0.1:${port}`, close: () => listener.close() };
}

/** The QR app's service on a running server (installed unless the test's PLEXUS_APPS leaves it out). */
export function qrOf(running: Running): QRService {
  const qr = (running.plexus.apps as { qr?: QRService }).qr;
  if (qr === undefined) throw new Error('the QR app is not installed on this server');
  return qr;
}

function testRoutesApp(plugins: readonly RoutePlugin[]) {
  return defineApp({
    name: 'test-routes',
    description: 'routes a test adds',
    create: () => ({ api: undefined }),
    routes: async (app, context) => {
      for (const plugin of plugins) await plugin(app, context);
    },
  });
}

export interface JsonResponse {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
  text: string;
}

export async function request(url: string, init: RequestInit = {}): Promise<JsonResponse> {
  const response = await fetch(url, init);
  const text = await response.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // Left empty: the test asserts on `text`.
  }
  return { status: response.status, headers: response.headers, body, text };
}

/** Asserts the error contract and returns the code. */
export function errorCode(response: JsonResponse): string {
  const error = response.body.error as { code?: unknown; message?: unknown } | undefined;
  if (typeof error?.code !== 'string' || typeof error.message !== 'string') {
    throw new Error(`not an error body: ${response.status} ${response.text}`);
  }
  const { code: _code, message: _message, requestId, ...extra } = error as Record<string, unknown>;
  if (Object.keys(response.body).length !== 1 || Object.keys(extra).length !== 0) {
    throw new Error(`error body has extra fields: ${response.text}`);
  }
  // Every error that answers a request names it, as the X-Request-Id header does.
  if (requestId !== undefined && requestId !== response.headers.get('x-request-id')) {
    throw new Error(`error body's requestId ${String(requestId)} is not the X-Request-Id header`);
  }
  if (!(response.headers.get('content-type') ?? '').startsWith('application/json')) {
    throw new Error(`error is not JSON: ${response.headers.get('content-type')}`);
  }
  return error.code;
}
