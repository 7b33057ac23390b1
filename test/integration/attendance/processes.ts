/**
 * Attendance instances as separate processes (rotation-fixture.ts), for the tests that kill one:
 * the rotation test and the display's browser test.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Role } from '../../../src/accounts/roles.js';

const FIXTURE = fileURLToPath(new URL('./rotation-fixture.ts', import.meta.url));

export interface Instance {
  child: ChildProcess;
  url: string;
  port: number;
  instanceId: string;
  exited: Promise<unknown>;
}

/** Forks an instance configured by `env` (TEST_ANNOUNCE_KEY: where it notes its rotations). */
export function startInstance(env: Record<string, string>): Promise<Instance> {
  const child = fork(FIXTURE, [JSON.stringify(env)], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('instance did not start within 90 s')), 90_000);
    child.once('exit', (code) => reject(new Error(`instance exited with ${code}`)));
    child.on('message', (m: { event?: string; url?: string; instanceId?: string }) => {
      if (m.event !== 'ready') return;
      clearTimeout(timer);
      resolve({ child, url: m.url!, port: Number(new URL(m.url!).port), instanceId: m.instanceId!, exited });
    });
  });
}

/** A session cookie (`name=value`) for an account with these roles, made by the instance. */
export function cookieFrom(instance: Instance, login: string, roles: Role[]): Promise<string> {
  return new Promise((resolve) => {
    const id = Math.random();
    instance.child.on('message', function answer(m: { id?: number; result?: string }) {
      if (m.id !== id) return;
      instance.child.off('message', answer);
      resolve(m.result!);
    });
    instance.child.send({ id, cmd: 'cookie', login, roles });
  });
}

/** SIGKILL, resolved once the process is gone. */
export async function kill(instance: Instance): Promise<void> {
  instance.child.kill('SIGKILL');
  await instance.exited;
}
