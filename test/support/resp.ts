/**
 * A minimal RESP2 client for the test harness: one short-lived connection per command, a hard
 * timeout, no reconnection. The harness uses it to start, inspect and shut down the servers it
 * runs, so that controlling a topology never depends on the client library under test.
 */
import { connect } from 'node:net';

export type RespReply = string | number | null | RespError | RespReply[];

export class RespError extends Error {}

/**
 * Sends one command to host:port and resolves with its reply (error replies resolve as RespError).
 * With `password`, AUTH is sent first on the same connection and its reply skipped.
 */
export function respCommand(
  host: string,
  port: number,
  args: readonly (string | number)[],
  timeoutMs = 1000,
  password?: string,
): Promise<RespReply> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    let buffer = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`${args[0]} to ${host}:${port} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    const finish = (error: Error | undefined, reply?: RespReply) => {
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(reply ?? null);
    };
    socket.on('connect', () => {
      if (password !== undefined) socket.write(encode(['AUTH', password]));
      socket.write(encode(args));
    });
    socket.on('error', (error) => finish(error));
    socket.on('close', () => finish(new Error(`connection to ${host}:${port} closed before a reply`)));
    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      const auth = password === undefined ? undefined : parse(buffer, 0);
      if (password !== undefined && auth === undefined) return;
      const parsed = parse(buffer, auth?.end ?? 0);
      if (parsed !== undefined) finish(undefined, parsed.value);
    });
  });
}

function encode(args: readonly (string | number)[]): Buffer {
  const parts = [`*${args.length}\r\n`];
  for (const arg of args) {
    const text = String(arg);
    parts.push(`$${Buffer.byteLength(text)}\r\n${text}\r\n`);
  }
  return Buffer.from(parts.join(''));
}

/** Parses one reply starting at `at`; undefined when more bytes are needed. */
function parse(buffer: Buffer, at: number): { value: RespReply; end: number } | undefined {
  const lineEnd = buffer.indexOf('\r\n', at);
  if (lineEnd === -1) return undefined;
  const type = String.fromCharCode(buffer[at]!);
  const line = buffer.toString('utf8', at + 1, lineEnd);
  const next = lineEnd + 2;
  switch (type) {
    case '+':
      return { value: line, end: next };
    case '-':
      return { value: new RespError(line), end: next };
    case ':':
      return { value: Number(line), end: next };
    case '$': {
      const length = Number(line);
      if (length < 0) return { value: null, end: next };
      if (buffer.length < next + length + 2) return undefined;
      return { value: buffer.toString('utf8', next, next + length), end: next + length + 2 };
    }
    case '*': {
      const count = Number(line);
      if (count < 0) return { value: null, end: next };
      const items: RespReply[] = [];
      let end = next;
      for (let i = 0; i < count; i++) {
        const item = parse(buffer, end);
        if (item === undefined) return undefined;
        items.push(item.value);
        end = item.end;
      }
      return { value: items, end };
    }
    default:
      throw new Error(`unexpected RESP type ${JSON.stringify(type)}`);
  }
}

/** Parses `INFO`/`CLUSTER INFO` text into key → value. */
export function parseInfo(text: RespReply): Record<string, string> {
  const result: Record<string, string> = {};
  if (typeof text !== 'string') return result;
  for (const line of text.split('\r\n')) {
    const at = line.indexOf(':');
    if (at > 0 && !line.startsWith('#')) result[line.slice(0, at)] = line.slice(at + 1);
  }
  return result;
}
