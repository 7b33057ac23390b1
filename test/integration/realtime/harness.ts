/**
 * Realtime test harness: reference servers (in process, real HTTP) over one Redis deployment, and a
 * real `ws` client that records every frame, answers requests by id and reports how it closed.
 */
import WebSocket from 'ws';
import type { RealtimeUser } from '../../../src/realtime/index.js';
import { type Running, startServer } from '../server/harness.js';

export type Frame = Record<string, unknown> & { t: string };

export const ADMIN_TOKEN = 'realtime-admin-token-0123456789';

/** `count` reference servers sharing the Redis of `redis` (env: REDIS_* settings, one prefix). */
export async function startHubs(
  count: number,
  redis: Record<string, string>,
  env: Record<string, string> = {},
) {
  const hubs: Running[] = [];
  for (let i = 0; i < count; i++) {
    hubs.push(
      await startServer({
        env: {
          PLEXUS_APPS: '',
          PLEXUS_ADMIN_TOKEN: ADMIN_TOKEN,
          REALTIME_PRESENCE_TTL_MS: '3000',
          ...redis,
          ...env,
        },
      }),
    );
  }
  return hubs;
}

export function wsUrl(hub: Running, endpoint: string, query = ''): string {
  return `${hub.url.replace(/^http/, 'ws')}/api/1/ws/${endpoint}${query}`;
}

/** A signed connection token for `user` (as POST /api/1/ws/:endpoint/token gives). */
export function tokenFor(hub: Running, endpoint: string, user: RealtimeUser): string {
  return hub.plexus.realtime.tokens.issue(endpoint, user).token;
}

export class Client {
  readonly frames: Frame[] = [];
  readonly ws: WebSocket;
  welcome: Frame | undefined;
  closeCode: number | undefined;
  #nextId = 1;
  #waiters: (() => void)[] = [];

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as Frame;
      if (frame.t === 'welcome') this.welcome = frame;
      this.frames.push(frame);
      this.#wake();
    });
    ws.on('close', (code) => {
      this.closeCode = code;
      this.#wake();
    });
    ws.on('error', () => {});
  }

  /** Connects and waits for the welcome frame. */
  static async open(url: string, headers: Record<string, string> = {}): Promise<Client> {
    const ws = new WebSocket(url, { headers });
    const client = new Client(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (c: Buffer) => {
          body += c.toString();
        });
        res.on('end', () => reject(new RefusedUpgrade(res.statusCode ?? 0, body)));
      });
      ws.once('error', reject);
      ws.once('open', () => resolve());
    });
    await client.until('welcome', () => client.welcome !== undefined);
    return client;
  }

  send(frame: Record<string, unknown>): void {
    this.ws.send(JSON.stringify(frame));
  }

  /** Sends a frame with a fresh id and waits for its answer (`ok`, `err`, or `pong`). */
  async request(frame: Record<string, unknown>): Promise<Frame> {
    const id = this.#nextId++;
    this.send({ ...frame, id });
    let answer: Frame | undefined;
    await this.until(`answer to ${JSON.stringify(frame)}`, () => {
      answer = this.frames.find((f) => f.id === id && (f.t === 'ok' || f.t === 'err' || f.t === 'pong'));
      return answer !== undefined;
    });
    return answer!;
  }

  messages(stream?: string): Frame[] {
    return this.frames.filter((f) => f.t === 'msg' && (stream === undefined || f.s === stream));
  }

  events(): Frame[] {
    return this.frames.filter((f) => f.t === 'presence');
  }

  async until(what: string, predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`timed out waiting for ${what}; frames: ${JSON.stringify(this.frames.slice(-5))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 200));
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async closed(timeoutMs = 10_000): Promise<number> {
    await this.until('close', () => this.closeCode !== undefined, timeoutMs);
    return this.closeCode!;
  }

  close(): void {
    this.ws.close();
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}

export class RefusedUpgrade extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(`upgrade refused: ${status} ${body}`);
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function eventually(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}
