/**
 * One real `redis-server` (or sentinel) process started by a test: its own free port, its own temp
 * directory, no persistence, logs in `<dir>/redis.log`. It is only ever signalled by its pid, and
 * every process still running when the test process exits is killed then.
 *
 * Chaos helpers: `stop()` (SHUTDOWN NOSAVE NOW, then SIGTERM/SIGKILL if it lingers), `kill()`
 * (SIGKILL), `pause()`/`resume()` (SIGSTOP/SIGCONT, a server that accepts connections but never
 * answers), `restart()` (the same port, directory and arguments).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { allocatePort, recordPid, releasePort } from './ports.js';
import { type RespReply, respCommand } from './resp.js';

export const HOST = '127.0.0.1';

/** Every server this test process created and has not destroyed, for the exit hook. */
const created = new Set<RedisProcess>();
process.once('exit', () => {
  for (const server of created) server.destroyNow();
});

export interface RedisProcessOptions {
  /** Extra `redis-server` arguments, e.g. ['--cluster-enabled', 'yes']. */
  args?: string[];
  /** Contents of a config file passed as the first argument (sentinels need a writable one). */
  configFile?: string;
  /** Appended after the config file (e.g. '--sentinel'). */
  mode?: 'server' | 'sentinel';
  /** requirepass (and masterauth, for replicas); the harness's own commands authenticate. */
  password?: string;
}

export class RedisProcess {
  readonly host = HOST;
  readonly port: number;
  readonly dir: string;
  readonly #args: string[];
  readonly #password: string | undefined;
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();
  #paused = false;

  private constructor(port: number, dir: string, args: string[], password: string | undefined) {
    this.port = port;
    this.dir = dir;
    this.#args = args;
    this.#password = password;
  }

  /** Starts a server on a free port and resolves once it answers PING. */
  static async start(options: RedisProcessOptions = {}): Promise<RedisProcess> {
    for (let attempt = 1; ; attempt++) {
      const port = await allocatePort();
      const dir = mkdtempSync(join(tmpdir(), 'plexus-redis-'));
      const args: string[] = [];
      if (options.configFile !== undefined) {
        writeFileSync(join(dir, 'redis.conf'), `${options.configFile}\n`);
        args.push(join(dir, 'redis.conf'));
      }
      if (options.mode === 'sentinel') args.push('--sentinel');
      args.push(
        ...['--port', String(port), '--bind', HOST, '--dir', dir, '--logfile', join(dir, 'redis.log')],
        ...['--protected-mode', 'no', '--daemonize', 'no', '--loglevel', 'notice'],
      );
      if (options.mode !== 'sentinel') args.push('--save', '', '--appendonly', 'no');
      if (options.password !== undefined) {
        args.push('--requirepass', options.password, '--masterauth', options.password);
      }
      args.push(...(options.args ?? []));
      const server = new RedisProcess(port, dir, args, options.password);
      created.add(server);
      try {
        await server.#spawn();
        return server;
      } catch (error) {
        server.destroyNow();
        // Another program may have bound the port between our check and the server's bind.
        if (attempt >= 3) throw error;
      }
    }
  }

  get address(): string {
    return `${this.host}:${this.port}`;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  get running(): boolean {
    return this.#child !== undefined;
  }

  get paused(): boolean {
    return this.#paused;
  }

  /** Sends one command over a fresh connection (fails fast if the server is down or paused). */
  command(args: readonly (string | number)[], timeoutMs = 1000): Promise<RespReply> {
    return respCommand(this.host, this.port, args, timeoutMs, this.#password);
  }

  /** Graceful stop: SHUTDOWN NOSAVE NOW (no wait for replicas); SIGTERM, then SIGKILL, if it lingers. */
  async stop(): Promise<void> {
    if (this.#child === undefined) return;
    if (this.#paused) return this.kill();
    const exited = this.#exited;
    this.#child.ref(); // An unreferenced child would let the process exit while we wait for it.
    await this.command(['SHUTDOWN', 'NOSAVE', 'NOW']).catch(() => {});
    if (await settlesWithin(exited, 2000)) return;
    this.#signal('SIGTERM');
    if (await settlesWithin(exited, 2000)) return;
    await this.kill();
  }

  /** SIGKILL: the server vanishes without closing anything cleanly. */
  async kill(): Promise<void> {
    if (this.#child === undefined) return;
    const exited = this.#exited;
    this.#child.ref(); // An unreferenced child would let the process exit while we wait for it.
    this.#signal('SIGKILL');
    await exited;
  }

  /** SIGSTOP: connections stay open but nothing is answered until `resume()`. */
  pause(): void {
    this.#signal('SIGSTOP');
    this.#paused = true;
  }

  resume(): void {
    this.#signal('SIGCONT');
    this.#paused = false;
  }

  /** Starts the server again on the same port, directory and arguments (after stop or kill). */
  async restart(): Promise<void> {
    if (this.#child !== undefined) await this.kill();
    await this.#spawn();
  }

  /** Stops the server for good and removes its directory and port reservation. */
  async destroy(): Promise<void> {
    await this.kill();
    this.destroyNow();
  }

  /** Synchronous SIGKILL and cleanup, for the exit hook and failed starts. */
  destroyNow(): void {
    this.#signal('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
    releasePort(this.port);
    created.delete(this);
  }

  /** The last lines of the server's log, for error messages. */
  logTail(lines = 20): string {
    const file = join(this.dir, 'redis.log');
    if (!existsSync(file)) return '';
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  }

  #signal(signal: NodeJS.Signals): void {
    const pid = this.#child?.pid;
    if (pid === undefined) return;
    try {
      process.kill(pid, signal);
    } catch {
      // Already gone; the exit handler clears the state.
    }
  }

  async #spawn(): Promise<void> {
    // Unreferenced: a server left running must not keep the test process alive (the exit hook
    // kills it); waits on its exit re-reference it.
    const child = spawn('redis-server', this.#args, { cwd: this.dir, stdio: 'ignore' });
    child.unref();
    this.#child = child;
    this.#paused = false;
    this.#exited = new Promise<void>((resolve) => {
      child.once('exit', () => {
        child.unref();
        if (this.#child === child) {
          this.#child = undefined;
          this.#paused = false;
        }
        resolve();
      });
    });
    child.once('error', () => {}); // Reported through 'exit' and the readiness wait below.
    if (child.pid !== undefined) recordPid(this.port, child.pid);
    const deadline = performance.now() + 10_000;
    while (performance.now() < deadline) {
      if (this.#child !== child) {
        throw new Error(`redis-server on ${this.address} exited at startup:\n${this.logTail()}`);
      }
      const reply = await this.command(['PING'], 500).catch(() => undefined);
      if (reply === 'PONG') return;
      await sleep(20);
    }
    throw new Error(`redis-server on ${this.address} did not answer PING within 10 s:\n${this.logTail()}`);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function settlesWithin(promise: Promise<void>, ms: number): Promise<boolean> {
  return Promise.race([promise.then(() => true), sleep(ms).then(() => false)]);
}

/**
 * Polls `check` every `intervalMs` until it returns a value other than undefined/false; throws
 * with `what` (and the last error) after `timeoutMs`. Used instead of sleeps wherever the harness
 * waits for a server-side state.
 */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 15_000,
  intervalMs = 20,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  let lastError: unknown;
  while (performance.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    await sleep(intervalMs);
  }
  const cause = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${cause}`);
}
