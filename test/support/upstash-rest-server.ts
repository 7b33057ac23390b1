/**
 * A local server speaking Upstash's documented REST protocol in front of a real `redis-server`,
 * because no Upstash account can be reached from the tests. Run as its own process (so a test can
 * SIGSTOP or kill it) by `startUpstashRest()` in upstash-rest.ts, through
 * test/support/cli/upstash-rest.ts.
 *
 * Protocol (what @upstash/redis sends and expects; checked by test/integration/upstash-rest-server.test.ts):
 * - `POST /` with a JSON array `["SET","k","v"]` → `{"result": ...}`, or HTTP 400 `{"error": "..."}`
 *   for a Redis error reply;
 * - `POST /pipeline` with an array of commands → an array of `{result}` | `{error}`, one per command,
 *   run in order but not atomically; `POST /multi-exec` the same inside MULTI/EXEC;
 * - `Authorization: Bearer <token>`, else HTTP 401 `{"error": "Unauthorized"}`;
 * - with `Upstash-Encoding: base64`, bulk strings (also inside arrays) are base64-encoded; status
 *   replies such as `OK` are not.
 *
 * Chaos, for the outage tests: `POST /__chaos {"status": 429, "delayMs": 500}` makes every later
 * request wait `delayMs` and then answer `status` (401, 429, 500...) instead of running; `{}`
 * restores normal service. Prints `listening <port>` once it accepts requests.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createClient, ErrorReply, RESP_TYPES } from 'redis';

type Reply = string | number | null | Buffer | Reply[];
type Json = string | number | null | Json[];
type Outcome = { result: Json } | { error: string };

interface Chaos {
  status?: number;
  delayMs?: number;
}

/** Serves until the process is killed (the tests' only way to stop it: SIGKILL by pid). */
export async function serveUpstashRest(port: number, redisUrl: string, token: string): Promise<void> {
  // RESP2, as Upstash answers (HGETALL a flat array, no doubles); bulk strings as Buffers and
  // status replies as strings, the distinction base64 encoding needs.
  const redis = createClient({
    url: redisUrl,
    RESP: 2,
    commandOptions: { typeMapping: { [RESP_TYPES.BLOB_STRING]: Buffer } },
  });
  redis.on('error', () => {
    // Reported per request (the command fails); the client reconnects by itself.
  });
  await redis.connect();
  let chaos: Chaos = {};

  const run = async (command: unknown): Promise<Reply> => {
    if (!Array.isArray(command) || command.length === 0)
      throw new ErrorReply('ERR command must be a non-empty array');
    return (await redis.sendCommand(command.map(String))) as Reply;
  };
  const outcome = async (command: unknown, base64: boolean): Promise<Outcome> => {
    try {
      return { result: toJson(await run(command), base64) };
    } catch (error) {
      return { error: error instanceof Error ? error.message : String(error) };
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readBody(req);
    if (req.url === '/__chaos') {
      chaos = JSON.parse(body) as Chaos;
      return send(res, 200, { result: 'OK' });
    }
    if (chaos.delayMs !== undefined) await new Promise((resolve) => setTimeout(resolve, chaos.delayMs));
    if (chaos.status !== undefined) return send(res, chaos.status, { error: `chaos: HTTP ${chaos.status}` });
    if (req.headers.authorization !== `Bearer ${token}`) return send(res, 401, { error: 'Unauthorized' });
    if (req.method !== 'POST') return send(res, 405, { error: 'ERR only POST is supported' });
    const base64 = String(req.headers['upstash-encoding']).toLowerCase() === 'base64';
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return send(res, 400, { error: 'ERR failed to parse command' });
    }
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/pipeline' || path === '/multi-exec') {
      if (!Array.isArray(parsed)) return send(res, 400, { error: 'ERR expected an array of commands' });
      if (path === '/pipeline') {
        // Written to Redis in order in one go (node-redis pipelines them), as Upstash runs a
        // pipeline: in order, each with its own result, not atomically.
        return send(res, 200, await Promise.all(parsed.map((command) => outcome(command, base64))));
      }
      const replies = await multiExec(redis, parsed, base64);
      return send(res, Array.isArray(replies) ? 200 : 400, replies);
    }
    const single = await outcome(parsed, base64);
    return send(res, 'error' in single ? 400 : 200, single);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => send(res, 500, { error: String(error) }));
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
}

/**
 * MULTI, the commands and EXEC sent in one tick on the shared connection: nothing else can be
 * written between them, and EXEC's reply carries each command's result or error.
 */
async function multiExec(
  redis: { sendCommand(args: string[]): Promise<unknown> },
  commands: unknown[],
  base64: boolean,
) {
  if (!commands.every(Array.isArray)) return { error: 'ERR expected an array of commands' };
  const sent = [['MULTI'], ...(commands as unknown[][]).map((command) => command.map(String)), ['EXEC']].map(
    (args) => redis.sendCommand(args),
  );
  const settled = await Promise.allSettled(sent);
  const exec = settled[settled.length - 1]!;
  if (exec.status === 'rejected') {
    // EXECABORT: a command was refused while queuing; report that command's error.
    const queued = settled.find((outcome) => outcome.status === 'rejected' && outcome !== exec);
    const reason = queued?.status === 'rejected' ? queued.reason : exec.reason;
    return { error: reason instanceof Error ? reason.message : String(reason) };
  }
  return (exec.value as unknown[]).map(
    (reply): Outcome =>
      reply instanceof ErrorReply ? { error: reply.message } : { result: toJson(reply as Reply, base64) },
  );
}

function toJson(reply: Reply, base64: boolean): Json {
  if (Buffer.isBuffer(reply)) return base64 ? reply.toString('base64') : reply.toString('utf8');
  if (Array.isArray(reply)) return reply.map((item) => toJson(item, base64));
  return reply;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
  res.end(payload);
}
