/**
 * Free-port allocation that is safe when several test files, workers or processes allocate at once.
 *
 * A port is reserved by creating `<tmpdir>/plexus-test-ports/<port>` exclusively (O_EXCL), which
 * is atomic across processes, and then checked by binding it. Every reservation also covers
 * port + 10000, the Redis Cluster bus port, so any reserved port can host a Cluster node. Ports
 * come from 16000–21999 (buses 26000–31999), below Linux's ephemeral range (32768+), so outgoing
 * connections never take them.
 *
 * The lock file records the reserving process and, once started, the server's pid. A lock whose
 * owner died (a worker killed on timeout) is stale: its server, if still running and still a
 * redis process on that port, is killed by pid and the port reused.
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const LOCK_DIR = join(tmpdir(), 'plexus-test-ports');
const FIRST = 16_000;
const COUNT = 6_000;
const BUS_OFFSET = 10_000;

interface Lock {
  owner: number;
  pid?: number;
}

/** Reserves a free port (and its bus port) for this process. Release it with `releasePort`. */
export async function allocatePort(): Promise<number> {
  mkdirSync(LOCK_DIR, { recursive: true });
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = FIRST + Math.floor(Math.random() * COUNT);
    if (!reservePort(port)) continue;
    if ((await canBind(port)) && (await canBind(port + BUS_OFFSET))) return port;
    releasePort(port);
  }
  throw new Error('no free port found for a test Redis');
}

/** Records the server's pid in the lock, so a later run can reap it if this process dies. */
export function recordPid(port: number, pid: number): void {
  writeFileSync(lockPath(port), JSON.stringify({ owner: process.pid, pid } satisfies Lock));
}

export function releasePort(port: number): void {
  rmSync(lockPath(port), { force: true });
}

function lockPath(port: number): string {
  return join(LOCK_DIR, String(port));
}

/**
 * Reserves exactly `port` for this process if no live process holds it (a stale lock is reclaimed,
 * its server reaped); false otherwise. Does not check that the port can be bound.
 */
export function reservePort(port: number): boolean {
  mkdirSync(LOCK_DIR, { recursive: true });
  try {
    const fd = openSync(lockPath(port), 'wx');
    writeSync(fd, JSON.stringify({ owner: process.pid } satisfies Lock));
    closeSync(fd);
    return true;
  } catch {
    return reapIfStale(port) && reserveOnce(port);
  }
}

function reserveOnce(port: number): boolean {
  try {
    closeSync(openSync(lockPath(port), 'wx'));
    writeFileSync(lockPath(port), JSON.stringify({ owner: process.pid } satisfies Lock));
    return true;
  } catch {
    return false;
  }
}

function reapIfStale(port: number): boolean {
  let lock: Lock;
  try {
    lock = JSON.parse(readFileSync(lockPath(port), 'utf8')) as Lock;
  } catch {
    return false; // Being written right now by its owner, or already gone: try another port.
  }
  if (alive(lock.owner)) return false;
  if (lock.pid !== undefined && alive(lock.pid) && isRedisOnPort(lock.pid, port)) {
    process.kill(lock.pid, 'SIGKILL');
  }
  releasePort(port);
  return true;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Guards against pid reuse: only a redis process serving this very port is ever reaped. */
function isRedisOnPort(pid: number, port: number): boolean {
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes('redis') && cmdline.includes(`:${port}`);
  } catch {
    return false;
  }
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}
