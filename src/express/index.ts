/**
 * Plexus in an Express (or any Node `http`) application: `import { ... } from 'plexus/express'`.
 *
 *   const plexus = createPlexus();
 *   await plexus.start();
 *   app.use(session({ store: new PlexusSessionStore(plexus.sessions), secret, resave: false,
 *                     saveUninitialized: false }));
 *   app.get('/status', plexusStatusHandler(plexus));
 *   app.get('/health', plexusHealthHandler(plexus));
 *
 * The handlers answer exactly what the reference server's `/api/1/status` and `/api/1/health`
 * answer (src/server/routes/), so load balancers and dashboards see one format everywhere.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Plexus } from '../index.js';
import type { Lifecycle } from '../server/context.js';
import { type ProcessInfo, processInfo } from '../server/process-info.js';
import { healthReport } from '../server/routes/health.js';
import { statusBody } from '../server/routes/status.js';

export { PlexusSessionStore, type PlexusSessionStoreOptions } from '../sessions/express.js';

/** A handler Express (`app.get(path, handler)`) and `http.createServer` both accept. */
export type NodeHandler = (request: IncomingMessage, response: ServerResponse) => void;

export interface HealthHandlerOptions {
  /** Set `draining` when shutdown begins, so the health check answers 503 and traffic moves away. */
  lifecycle?: Lifecycle;
}

/** `GET` status: up, which process answered, and whether state is shared through Redis. No I/O. */
export function plexusStatusHandler(
  plexus: Plexus,
  process: ProcessInfo = processInfo(plexus.instanceId),
): NodeHandler {
  return (_request, response) => sendJson(response, 200, statusBody(plexus, process));
}

/** `GET` health: 200 `ok` or `degraded`, 503 `unavailable` (database down, draining, ...), every reason listed. */
export function plexusHealthHandler(plexus: Plexus, options: HealthHandlerOptions = {}): NodeHandler {
  const lifecycle = options.lifecycle ?? { draining: false };
  return (_request, response) => {
    healthReport(plexus, lifecycle).then(
      ({ statusCode, body }) => {
        if (statusCode === 503) response.setHeader('retry-after', '1');
        sendJson(response, statusCode, body);
      },
      () => sendJson(response, 500, { error: { code: 'INTERNAL_ERROR', message: 'Internal server error' } }),
    );
  };
}

function sendJson(response: ServerResponse, statusCode: number, body: unknown): void {
  const payload = JSON.stringify(body);
  response.statusCode = statusCode;
  response.setHeader('content-type', 'application/json; charset=utf-8');
  response.setHeader('content-length', Buffer.byteLength(payload));
  response.end(payload);
}
