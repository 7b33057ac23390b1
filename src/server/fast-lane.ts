/**
 * The fast lane: the common case of a few hot GET routes (a cached QR image, the signed-in
 * account from this instance's copy of the session) answered in the HTTP server's request
 * listener, before Fastify routes the request. Fastify's routing, hooks, reply object and
 * serialiser cost a cached answer more than producing it (docs/benchmarks.md, "Twelfth session:
 * the fast lane").
 *
 * A route of the lane is a shadow of a Fastify route with the same path: its handler answers only
 * when the answer is known now and needs nothing the lane leaves out, and returns undefined for
 * everything else, which Fastify then serves as it always did. So the lane takes only requests
 * that are
 * - GET, without a query string, a body, or a percent-encoded or empty path parameter;
 * - on an exact path of the lane, or a pattern of it with one parameter (`/qr/students/:id.png`);
 * - while the lane is open: it closes for good when Fastify starts closing (the plugin's
 *   `preClose` hook), so shutdown's 503s and closing connections stay Fastify's.
 *
 * What an answered request still gets, as through Fastify: its request id (`genReqId`, and the
 * `X-Request-Id` header when the server sends it), the request metrics of its route (in flight,
 * counts, latency, Prometheus), and the headers and body the Fastify route would send (tests
 * compare the two byte for byte: test/integration/server/fast-lane.test.ts). What it does not get:
 * request logging (the reference server opens no lane when PLEXUS_LOG_REQUESTS is on) and hooks
 * of the host application (a host that adds hooks of its own should not open a lane).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Metrics } from '../metrics/metrics.js';
import type { RouteRecorder } from '../metrics/route-recorder.js';

/**
 * A whole response, built once and sent to every request it answers. The body is a string, so
 * that Node joins the head and the body into one chunk of the response's write (a Buffer body is
 * a chunk of its own beside the head): binary bodies as `latin1`, one character per byte
 * (`binaryAnswer`).
 */
export interface FastAnswer {
  readonly status: number;
  /** Header names and values, flat (`[name, value, ...]`), content-type and content-length included. */
  readonly headers: readonly string[];
  readonly body: string;
  readonly encoding: 'utf8' | 'latin1';
}

/**
 * Answers a request of the lane, or returns undefined to hand it to the Fastify route. `param` is
 * the path parameter of a pattern route ('' for an exact path). Called synchronously; must not wait.
 */
export type FastHandler = (request: IncomingMessage, param: string) => FastAnswer | undefined;

/** Where route plugins add their shadows (`ServerContext.fastLane`). */
export interface FastRoutes {
  /**
   * Shadows the Fastify route of `path` (the same string: it names the route in the metrics):
   * an exact path, or one `:param` between a fixed prefix and suffix (`/qr/students/:id.png`).
   */
  get(path: string, handler: FastHandler): void;
}

export interface FastLaneOptions {
  metrics: Metrics;
  /** The server's request ids (`genReqId`), so that ids stay one sequence across both paths. */
  requestId: (request: IncomingMessage) => string;
  /** Send the id back in `X-Request-Id` (as `requestIdHeader` does for Fastify's routes). */
  requestIdHeader: boolean;
}

interface Route {
  readonly handler: FastHandler;
  readonly recorder: RouteRecorder;
}

interface PatternRoute extends Route {
  readonly prefix: string;
  readonly suffix: string;
}

const PARAM = /^([^:]*):[A-Za-z_][A-Za-z0-9_]*(.*)$/;

export class FastLane implements FastRoutes {
  readonly #options: FastLaneOptions;
  readonly #exact = new Map<string, Route>();
  readonly #patterns: PatternRoute[] = [];
  #open = true;
  #answered = 0;

  constructor(options: FastLaneOptions) {
    this.#options = options;
  }

  get(path: string, handler: FastHandler): void {
    const pattern = PARAM.exec(path);
    if (path.includes('*') || (pattern?.[2] ?? '').includes(':')) {
      throw new TypeError(`fast lane: at most one parameter per path, and no wildcard (${path})`);
    }
    const route = { handler, recorder: this.#options.metrics.route(path) };
    if (pattern === null) this.#exact.set(path, route);
    else this.#patterns.push({ ...route, prefix: pattern[1]!, suffix: pattern[2]! });
  }

  /** From now on every request goes to Fastify (called when Fastify starts closing). */
  close(): void {
    this.#open = false;
  }

  get open(): boolean {
    return this.#open;
  }

  /** Requests the lane has answered since the server started. */
  get answered(): number {
    return this.#answered;
  }

  /** Sends the lane's answer to `request` and returns true, or returns false to hand it to Fastify. */
  answer(request: IncomingMessage, response: ServerResponse): boolean {
    if (!this.#open || request.method !== 'GET') return false;
    const url = request.url ?? '';
    if (url.includes('?')) return false;
    let route: Route | undefined = this.#exact.get(url);
    let param = '';
    if (route === undefined) {
      for (const pattern of this.#patterns) {
        param = paramOf(url, pattern);
        if (param !== '') {
          route = pattern;
          break;
        }
      }
      if (route === undefined) return false;
    }
    const headers = request.headers;
    if (headers['content-length'] !== undefined || headers['transfer-encoding'] !== undefined) return false;
    const started = performance.now();
    let answer: FastAnswer | undefined;
    try {
      answer = route.handler(request, param);
    } catch {
      // Fastify's route serves it, with its error handling and logging.
      return false;
    }
    if (answer === undefined) return false;
    this.#send(request, response, answer);
    this.#answered++;
    route.recorder.finished('GET', answer.status, performance.now() - started);
    return true;
  }

  #send(request: IncomingMessage, response: ServerResponse, answer: FastAnswer): void {
    const { metrics, requestId, requestIdHeader } = this.#options;
    metrics.requestStarted();
    const id = requestId(request);
    // Node only reads the list.
    const headers = requestIdHeader ? ['x-request-id', id, ...answer.headers] : (answer.headers as string[]);
    response.writeHead(answer.status, headers);
    response.end(answer.body, answer.encoding);
  }
}

/** A JSON answer, serialised once (the bytes Fastify's compiled serialiser writes for the same object). */
export function jsonAnswer(value: unknown, status = 200): FastAnswer {
  const body = JSON.stringify(value);
  const length = String(Buffer.byteLength(body));
  return {
    status,
    headers: ['content-type', 'application/json; charset=utf-8', 'content-length', length],
    body,
    encoding: 'utf8',
  };
}

/** A binary answer: `headers` (without content-length, added here) and the bytes. */
export function binaryAnswer(headers: readonly string[], bytes: Buffer, status = 200): FastAnswer {
  return {
    status,
    headers: [...headers, 'content-length', String(bytes.length)],
    body: bytes.toString('latin1'),
    encoding: 'latin1',
  };
}

/** The parameter of `url` under `pattern`: '' when the url does not match or the value is unusable. */
function paramOf(url: string, pattern: PatternRoute): string {
  const { prefix, suffix } = pattern;
  const end = url.length - suffix.length;
  if (end <= prefix.length || !url.startsWith(prefix) || !url.endsWith(suffix)) return '';
  const param = url.slice(prefix.length, end);
  // Fastify decodes these (and refuses some): its route serves them.
  return param.includes('/') || param.includes('%') ? '' : param;
}
