/**
 * The HTTP transport of the rest topology: Upstash's REST protocol over `fetch`.
 *
 * - One command is `POST /` with a JSON array and answers `{result}`; HTTP 400 `{error}` is a Redis
 *   error reply (WRONGTYPE, NOSCRIPT...). Commands sent in the same tick travel together as one
 *   `POST /pipeline` (an array of commands → an array of `{result}` | `{error}`): the server runs
 *   them in order but NOT atomically, which is harmless because they are independent calls that
 *   were already concurrent. Reads and writes go in separate pipelines, as the official client's
 *   auto-pipelining does: two requests in flight let the server overlap them (bench/rest-topology.ts
 *   at 50 in flight: 0.71–0.80 of the official client's throughput with one pipeline, 0.87–0.98
 *   with two). What must be atomic is a script or goes through `multiExec`
 *   (`POST /multi-exec`, the same inside MULTI/EXEC).
 * - `Authorization: Bearer <token>`. Any other HTTP status (401, 403, 429, 5xx) or a network
 *   failure means the service is not usable right now: RedisUnavailableError, which the executor
 *   counts against the breaker; an error reply is an ErrorReply, which it does not.
 * - Bytes: JSON strings carry UTF-8 text only. A reply that must be bytes (`getBuffer`) is asked for
 *   with `Upstash-Encoding: base64`; an argument that is not valid UTF-8 is sent hex-encoded
 *   through lua/rest_binary_call.lua, which decodes it and runs the command.
 *
 * Why not @upstash/redis: it decodes base64 replies as UTF-8 text (a binary cache entry comes back
 * corrupted), stringifies Buffer arguments, and folds the HTTP status into the error message, so
 * 401/429/5xx cannot be told from an error reply without parsing text. The tests still check the
 * local REST server against it, and bench/rest-topology.ts measures this transport against it.
 */
import { isUtf8 } from 'node:buffer';
import { ErrorReply } from 'redis';
import { RedisUnavailableError } from '../../errors.js';
import { readLuaSource } from '../script.js';
import { errorMessage } from './client-options.js';
import type { RedisArg } from './topology.js';

const BINARY_CALL = readLuaSource('rest_binary_call');
/** Bounds one request's size (Upstash limits it); a fuller batch is sent at once. */
const MAX_BATCH = 500;

type Outcome = { result?: unknown; error?: string };

interface Queued {
  command: string[];
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** Commands waiting for the end of the tick; one queue per kind (read or write) and reply encoding. */
class Batch {
  readonly calls: Queued[] = [];
  scheduled = false;
}

export class RestTransport {
  readonly #headers: Record<string, string>;
  readonly #base64Headers: Record<string, string>;
  /** Indexed by `(readonly ? 2 : 0) + (buffers ? 1 : 0)`. */
  readonly #batches = [new Batch(), new Batch(), new Batch(), new Batch()];

  constructor(
    readonly url: string,
    token: string,
    /** Abort an HTTP request after this long: frees its socket when the server hangs. */
    private readonly requestTimeoutMs: number,
  ) {
    this.#headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    this.#base64Headers = { ...this.#headers, 'upstash-encoding': 'base64' };
  }

  /**
   * Sends one command; resolves with its reply (bulk strings as Buffers when `buffers`). `key`
   * is declared to the binary-call script when an argument has to travel hex-encoded.
   */
  send(args: readonly RedisArg[], buffers: boolean, readonly: boolean, key?: string): Promise<unknown> {
    const command = toCommand(args, key);
    const batch = this.#batches[(readonly ? 2 : 0) + (buffers ? 1 : 0)]!;
    return new Promise((resolve, reject) => {
      batch.calls.push({ command, resolve, reject });
      if (batch.calls.length >= MAX_BATCH) this.#flush(batch, buffers);
      else if (!batch.scheduled) {
        batch.scheduled = true;
        queueMicrotask(() => this.#flush(batch, buffers));
      }
    });
  }

  /** Runs the commands inside MULTI/EXEC; the replies in order, an error reply as ErrorReply. */
  async multiExec(commands: readonly (readonly RedisArg[])[]): Promise<unknown[]> {
    const outcomes = await this.#post(
      '/multi-exec',
      commands.map((args) => toCommand(args)),
      false,
    );
    if (!Array.isArray(outcomes)) throw new RedisUnavailableError('REST /multi-exec answered no array');
    return (outcomes as Outcome[]).map((outcome) =>
      outcome.error === undefined ? outcome.result : new ErrorReply(outcome.error),
    );
  }

  #flush(batch: Batch, base64: boolean): void {
    batch.scheduled = false;
    const calls = batch.calls.splice(0);
    if (calls.length === 0) return;
    if (calls.length === 1) {
      const call = calls[0]!;
      this.#post('', call.command, base64).then(
        (outcome) => settle(call, outcome as Outcome, base64),
        call.reject,
      );
      return;
    }
    this.#post(
      '/pipeline',
      calls.map((call) => call.command),
      base64,
    ).then(
      (outcomes) => {
        if (!Array.isArray(outcomes) || outcomes.length !== calls.length) {
          const error = new RedisUnavailableError('REST /pipeline answered the wrong number of replies');
          for (const call of calls) call.reject(error);
          return;
        }
        for (const [i, call] of calls.entries()) settle(call, outcomes[i] as Outcome, base64);
      },
      (error: unknown) => {
        for (const call of calls) call.reject(error);
      },
    );
  }

  /** One HTTP request; the parsed JSON body, an ErrorReply for HTTP 400, else unavailable. */
  async #post(path: string, body: unknown, base64: boolean): Promise<unknown> {
    let response: Response;
    let text: string;
    try {
      response = await fetch(this.url + path, {
        method: 'POST',
        headers: base64 ? this.#base64Headers : this.#headers,
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.requestTimeoutMs),
      });
      text = await response.text();
    } catch (error) {
      throw new RedisUnavailableError(`REST request failed: ${errorMessage(error)}`, { cause: error });
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new RedisUnavailableError(`REST HTTP ${response.status}: not JSON: ${text.slice(0, 200)}`);
    }
    if (response.status === 400 && isErrorBody(parsed)) throw new ErrorReply(parsed.error);
    if (!response.ok) {
      const reason = isErrorBody(parsed) ? parsed.error : text.slice(0, 200);
      throw new RedisUnavailableError(`REST HTTP ${response.status}: ${reason}`);
    }
    return parsed;
  }
}

function settle(call: Queued, outcome: Outcome, base64: boolean): void {
  if (outcome.error !== undefined) call.reject(new ErrorReply(outcome.error));
  else call.resolve(base64 ? fromBase64(outcome.result) : outcome.result);
}

function isErrorBody(body: unknown): body is { error: string } {
  return typeof body === 'object' && body !== null && typeof (body as Outcome).error === 'string';
}

/** The command as JSON strings; one with a non-UTF-8 argument is wrapped in the binary-call script. */
function toCommand(args: readonly RedisArg[], key?: string): string[] {
  const hex: number[] = [];
  const command = args.map((arg, i) => {
    if (typeof arg === 'string') return arg;
    if (isUtf8(arg)) return arg.toString('utf8');
    hex.push(i + 1);
    return arg.toString('hex');
  });
  if (hex.length === 0) return command;
  const keys = key === undefined ? ['0'] : ['1', key];
  return ['EVAL', BINARY_CALL, ...keys, hex.join(','), ...command];
}

function fromBase64(value: unknown): unknown {
  if (typeof value === 'string') return Buffer.from(value, 'base64');
  if (Array.isArray(value)) return value.map(fromBase64);
  return value;
}
