/**
 * Starts Plexus instances as separate processes (instances-fixture.ts) and talks to them over IPC.
 * Every process is killed when the test process exits, whatever happened.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { fileURLToPath } from 'node:url';

const FIXTURE = fileURLToPath(new URL('./instances-fixture.ts', import.meta.url));
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export interface BusDelivery {
  instanceId: string;
  data: unknown;
  message: { channel: string; source: string; self: boolean };
}

interface Reply {
  id?: number;
  result?: unknown;
  error?: string;
  event?: string;
}

export class InstanceProcess extends EventEmitter<{ message: [BusDelivery] }> {
  readonly delivered: BusDelivery[] = [];
  #next = 0;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  readonly exited: Promise<number | null>;

  private constructor(
    readonly child: ChildProcess,
    readonly url: string,
    readonly instanceId: string,
  ) {
    super();
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    child.on('message', (reply: Reply) => {
      if (reply.event === 'message') {
        const delivery = reply as unknown as BusDelivery;
        this.delivered.push(delivery);
        this.emit('message', delivery);
        return;
      }
      if (reply.id === undefined) return;
      const pending = this.#pending.get(reply.id);
      this.#pending.delete(reply.id);
      if (reply.error !== undefined) pending?.reject(new Error(reply.error));
      else pending?.resolve(reply.result);
    });
  }

  /** Forks an instance configured by `env` and resolves once it serves HTTP. */
  static start(env: Record<string, string>): Promise<InstanceProcess> {
    const child = fork(
      FIXTURE,
      [JSON.stringify({ HOST: '127.0.0.1', PORT: '0', DATABASE_URL: 'sqlite::memory:', ...env })],
      {
        execArgv: ['--import', 'tsx'],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      },
    );
    live.add(child);
    child.once('exit', () => live.delete(child));
    return new Promise((resolve, reject) => {
      // Generous: each process transpiles the sources with tsx, several seconds on a loaded machine.
      const timer = setTimeout(() => reject(new Error('instance did not start within 90 s')), 90_000);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`instance exited with ${code} before it was ready`));
      });
      child.on('message', function onReady(message: { event?: string; url?: string; instanceId?: string }) {
        if (message.event !== 'ready') return;
        clearTimeout(timer);
        child.off('message', onReady);
        resolve(new InstanceProcess(child, message.url!, message.instanceId!));
      });
    });
  }

  call<T>(cmd: string, args: Record<string, unknown> = {}): Promise<T> {
    const id = ++this.#next;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ id, cmd, ...args });
    });
  }

  /** SIGKILL: the instance vanishes without any cleanup. Resolves once it is gone. */
  async kill(): Promise<void> {
    this.child.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM: graceful shutdown. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    await this.exited;
  }
}

export function startInstances(count: number, env: Record<string, string>): Promise<InstanceProcess[]> {
  return Promise.all(Array.from({ length: count }, () => InstanceProcess.start(env)));
}
