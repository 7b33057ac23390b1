/**
 * The chaos suite's mixed load: `connections` loops, each sending one request after another over a
 * keep-alive connection (so requests spread over the workers by connection): signed-in
 * `GET /api/1/auth/me` over the sessions, cached QR PNGs over the students, `GET /api/1/status`,
 * in turn. Every answer is counted in the current phase: status class, time, and what the run
 * must show (5xx, /auth/me 503, slow answers, client timeouts, sessions answered 401).
 */
import { Agent, request } from 'node:http';

/** A request not answered within this long counts as a timeout (and is abandoned). */
const CLIENT_TIMEOUT_MS = 5000;

/**
 * An answer slower than this counts as slow: 1 s, the figure the issue asks for. The CI test, run
 * beside the rest of the suite on two cores, passes a generous CHAOS_SLOW_MS instead.
 */
export const SLOW_MS = Number(process.env.CHAOS_SLOW_MS ?? 1000);

export interface PhaseStats {
  name: string;
  requests: number;
  status5xx: number;
  me503: number;
  /** Connection errors (reset by a killed worker): no HTTP answer. */
  errors: number;
  timeouts: number;
  /** Answers slower than SLOW_MS. */
  slow: number;
  latencies: number[];
  /** Sessions (by index) that answered 401: lost. */
  lost: Set<number>;
}

function newPhase(name: string): PhaseStats {
  return {
    name,
    requests: 0,
    status5xx: 0,
    me503: 0,
    errors: 0,
    timeouts: 0,
    slow: 0,
    latencies: [],
    lost: new Set(),
  };
}

export class MixedLoad {
  readonly #agent: Agent;
  readonly #port: number;
  readonly #cookies: string[];
  readonly #students: string[];
  #phase: PhaseStats = newPhase('warm-up');
  #running = false;
  #loops: Promise<void>[] = [];
  #next = 0;

  constructor(port: number, cookies: string[], students: string[], connections: number) {
    this.#port = port;
    this.#cookies = cookies;
    this.#students = students;
    this.#agent = new Agent({ keepAlive: true, maxSockets: connections });
    this.connections = connections;
  }

  readonly connections: number;

  start(): void {
    this.#running = true;
    this.#loops = Array.from({ length: this.connections }, () => this.#loop());
  }

  /** Closes the current phase and opens `name`; returns the closed one. */
  phase(name: string): PhaseStats {
    const done = this.#phase;
    this.#phase = newPhase(name);
    return done;
  }

  async stop(): Promise<PhaseStats> {
    this.#running = false;
    await Promise.all(this.#loops);
    this.#agent.destroy();
    return this.#phase;
  }

  async #loop(): Promise<void> {
    while (this.#running) {
      const n = this.#next++;
      const kind = n % 3;
      if (kind === 0) {
        const session = ((n / 3) % this.#cookies.length) | 0;
        await this.#send('/api/1/auth/me', this.#cookies[session], session);
      } else if (kind === 1) {
        const student = this.#students[((n / 3) % this.#students.length) | 0]!;
        await this.#send(`/api/1/qr/students/${student}.png`);
      } else {
        await this.#send('/api/1/status');
      }
    }
  }

  #send(path: string, cookie?: string, session?: number): Promise<void> {
    const phase = this.#phase;
    const started = performance.now();
    return new Promise((resolve) => {
      let settled = false;
      const done = (status: number | 'error' | 'timeout') => {
        if (settled) return;
        settled = true;
        const ms = performance.now() - started;
        phase.requests++;
        phase.latencies.push(ms);
        if (ms > SLOW_MS) phase.slow++;
        if (status === 'error') phase.errors++;
        else if (status === 'timeout') phase.timeouts++;
        else {
          if (status >= 500) phase.status5xx++;
          if (status === 503 && session !== undefined) phase.me503++;
          if (status === 401 && session !== undefined) phase.lost.add(session);
        }
        resolve();
      };
      const req = request(
        {
          host: '127.0.0.1',
          port: this.#port,
          path,
          agent: this.#agent,
          headers: cookie === undefined ? {} : { cookie },
        },
        (res) => {
          res.resume();
          res.on('end', () => done(res.statusCode ?? 0));
          res.on('error', () => done('error'));
        },
      );
      req.setTimeout(CLIENT_TIMEOUT_MS, () => {
        done('timeout');
        req.destroy();
      });
      req.on('error', () => done('error'));
      req.end();
    });
  }
}

export function p99(latencies: number[]): number {
  if (latencies.length === 0) return 0;
  const sorted = [...latencies].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(0.99 * sorted.length))]!;
}

export function max(latencies: number[]): number {
  let m = 0;
  for (const l of latencies) if (l > m) m = l;
  return m;
}
