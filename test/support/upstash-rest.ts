/**
 * The local Upstash REST server (upstash-rest-server.ts) as a child process in front of its own
 * `redis-server`, for the `rest` topology's tests and benchmark:
 *
 *   const rest = await startUpstashRest();
 *   const layer = new RedisLayer(rest.config());  // REDIS_MODE=rest, unique key prefix
 *
 * Chaos: `pause()`/`resume()` (SIGSTOP/SIGCONT: accepts connections, never answers), `kill()`
 * (SIGKILL) and `restart()` (same port), `misbehave({ status, delayMs })` (answers 401, 429, 500
 * or answers slowly), `behave()`. Processes are signalled by pid only, and killed when the test
 * process exits.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadRedisConfig, type RedisConfig } from '../../src/config/redis.js';
import { allocatePort, releasePort } from './ports.js';
import { uniquePrefix } from './redis.js';
import { RedisProcess } from './redis-process.js';

const SCRIPT = fileURLToPath(new URL('./cli/upstash-rest.ts', import.meta.url));
const TOKEN = 'plexus-test-token';

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
});

export interface Misbehaviour {
  /** HTTP status answered instead of running the command (401, 429, 500...). */
  status?: number;
  /** Delay before answering, in milliseconds. */
  delayMs?: number;
}

export class UpstashRestHandle {
  readonly token = TOKEN;
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();

  private constructor(
    readonly port: number,
    readonly redis: RedisProcess,
    /** False when the server fronts another handle's redis-server, which `stop()` then leaves. */
    private readonly ownsRedis: boolean,
  ) {}

  /** A REST server in front of a new redis-server, or of `redis` (two endpoints, one data set). */
  static async start(redis?: RedisProcess): Promise<UpstashRestHandle> {
    const handle = new UpstashRestHandle(
      await allocatePort(),
      redis ?? (await RedisProcess.start()),
      redis === undefined,
    );
    await handle.#spawn();
    return handle;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** A rest-mode RedisConfig with a unique key prefix; `env` overrides any setting. */
  config(env: Record<string, string> = {}): RedisConfig {
    return loadRedisConfig({
      REDIS_MODE: 'rest',
      UPSTASH_REDIS_REST_URL: this.url,
      UPSTASH_REDIS_REST_TOKEN: this.token,
      REDIS_KEY_PREFIX: uniquePrefix(),
      ...env,
    });
  }

  pause(): void {
    this.#signal('SIGSTOP');
  }

  resume(): void {
    this.#signal('SIGCONT');
  }

  async kill(): Promise<void> {
    const exited = this.#exited;
    this.#signal('SIGKILL');
    await exited;
  }

  /** Starts the server again on the same port (after `kill()`). */
  async restart(): Promise<void> {
    if (this.#child !== undefined) await this.kill();
    await this.#spawn();
  }

  async misbehave(chaos: Misbehaviour): Promise<void> {
    await this.#control(chaos);
  }

  async behave(): Promise<void> {
    await this.#control({});
  }

  async stop(): Promise<void> {
    if (this.#child !== undefined) await this.kill();
    releasePort(this.port);
    if (this.ownsRedis) await this.redis.destroy();
  }

  async #control(chaos: Misbehaviour): Promise<void> {
    const response = await fetch(`${this.url}/__chaos`, { method: 'POST', body: JSON.stringify(chaos) });
    if (!response.ok) throw new Error(`chaos control answered ${response.status}`);
  }

  #signal(signal: NodeJS.Signals): void {
    const pid = this.#child?.pid;
    if (pid !== undefined) process.kill(pid, signal);
  }

  #spawn(): Promise<void> {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', SCRIPT, String(this.port), `redis://${this.redis.address}`, TOKEN],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.#child = child;
    running.add(child);
    this.#exited = new Promise((resolve) => {
      child.once('exit', () => {
        running.delete(child);
        if (this.#child === child) this.#child = undefined;
        resolve();
      });
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    return new Promise((resolve, reject) => {
      child.stdout?.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('listening')) resolve();
      });
      child.once('exit', (code) =>
        reject(new Error(`REST server exited (${code}) before listening:\n${stderr}`)),
      );
    });
  }
}

export function startUpstashRest(redis?: RedisProcess): Promise<UpstashRestHandle> {
  return UpstashRestHandle.start(redis);
}
