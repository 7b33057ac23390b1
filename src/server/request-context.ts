/**
 * Request ids and per-request log context for the reference server.
 *
 * Ids are unique across the cluster: `<instanceId>-<counter in base 36>` (the instance id is unique
 * per process and start), or the caller's `X-Request-Id` when it is well formed (1–128 visible
 * characters from a safe set), so a proxy's or another service's id follows the request through.
 * The id is sent back in `X-Request-Id`, logged as `reqId`, and carried by every error body.
 *
 * Fastify gives every request a pino child logger, and building one costs more than the rest of
 * a cached request's work. `lazyChildLogger` hands out a small stand-in that builds the child only
 * when the request logs something at an enabled level, which most requests never do.
 */
import type { IncomingMessage } from 'node:http';
import type { FastifyBaseLogger } from 'fastify';

const WELL_FORMED = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

/** Fastify's `genReqId`: the caller's well-formed `X-Request-Id`, else the next id of this instance. */
export function requestIdGenerator(instanceId: string): (request: IncomingMessage) => string {
  let counter = 0;
  return (request) => {
    const given = request.headers['x-request-id'];
    if (typeof given === 'string' && WELL_FORMED.test(given)) return given;
    counter = counter === Number.MAX_SAFE_INTEGER ? 1 : counter + 1;
    return `${instanceId}-${counter.toString(36)}`;
  };
}

type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

/** pino has `isLevelEnabled`; a logger without it is taken to write every level. */
function enabled(logger: FastifyBaseLogger, level: string): boolean {
  const check = (logger as FastifyBaseLogger & { isLevelEnabled?: (level: string) => boolean })
    .isLevelEnabled;
  return check === undefined || check.call(logger, level);
}

/** Builds the pino child on the first call that would write; until then costs one small object. */
class LazyChildLogger {
  readonly #parent: FastifyBaseLogger;
  readonly #bindings: Record<string, unknown>;
  #child: FastifyBaseLogger | undefined;

  constructor(parent: FastifyBaseLogger, bindings: Record<string, unknown>) {
    this.#parent = parent;
    this.#bindings = bindings;
  }

  get level(): string {
    return this.#parent.level;
  }

  set level(level: string) {
    this.#real().level = level;
  }

  #real(): FastifyBaseLogger {
    this.#child ??= this.#parent.child(this.#bindings);
    return this.#child;
  }

  #log(level: Level, args: unknown[]): void {
    if (this.#child === undefined && !enabled(this.#parent, level)) return;
    (this.#real()[level] as (...a: unknown[]) => void)(...args);
  }

  // Methods on the prototype: nothing is allocated per request until something is logged.
  fatal(...args: unknown[]): void {
    this.#log('fatal', args);
  }
  error(...args: unknown[]): void {
    this.#log('error', args);
  }
  warn(...args: unknown[]): void {
    this.#log('warn', args);
  }
  info(...args: unknown[]): void {
    this.#log('info', args);
  }
  debug(...args: unknown[]): void {
    this.#log('debug', args);
  }
  trace(...args: unknown[]): void {
    this.#log('trace', args);
  }
  silent(): void {}

  isLevelEnabled(level: string): boolean {
    return enabled(this.#child ?? this.#parent, level);
  }

  child(bindings: Record<string, unknown>, options?: Record<string, unknown>): FastifyBaseLogger {
    return this.#real().child(bindings, options);
  }
}

/**
 * The logger to give Fastify: `logger` itself, except that `child()` (which Fastify calls for every
 * request) hands out the lazy stand-in. Derived with Object.create, as pino derives its own
 * children, so every other method and setting is the logger's. (Fastify's `childLoggerFactory`
 * option would do the same, but Fastify then validates each request's logger, which costs as much
 * as building the pino child.)
 */
export function withLazyRequestLoggers(logger: FastifyBaseLogger): FastifyBaseLogger {
  const derived = Object.create(logger) as FastifyBaseLogger;
  // A child with its own level or serializers is built at once, and derived in turn: Fastify makes
  // its root logger that way (`child({}, { serializers })`), and every request's logger is a child
  // of that root, so the root must hand out lazy children too.
  derived.child = (bindings, options) =>
    options?.level !== undefined || options?.serializers !== undefined
      ? withLazyRequestLoggers(logger.child(bindings, options))
      : (new LazyChildLogger(logger, bindings) as unknown as FastifyBaseLogger);
  return derived;
}
