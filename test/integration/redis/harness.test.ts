/**
 * The topology harness itself: ports are never handed out twice, even to several processes
 * allocating at once; a lock left by a dead process is reclaimed; and the chaos helpers on one
 * node do what they say (pause stops answers, resume restores them, kill and restart keep the
 * port, stop is graceful).
 */
import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { allocatePort, releasePort, reservePort } from '../../support/ports.js';
import { RedisProcess } from '../../support/topology.js';

const CHILDREN = 3;
const PER_PROCESS = 20;

/** A child process that allocates ports, prints them, and releases them when its stdin closes. */
function allocateInChild(): Promise<{ ports: number[]; release: () => void }> {
  const script = `
    import { allocatePort, releasePort } from ${JSON.stringify(join(process.cwd(), 'test/support/ports.ts'))};
    const ports = await Promise.all(Array.from({ length: ${PER_PROCESS} }, () => allocatePort()));
    console.log(JSON.stringify(ports));
    process.stdin.on('end', () => { for (const p of ports) releasePort(p); });
    process.stdin.resume();
  `;
  const file = join(tmpdir(), `plexus-ports-${process.pid}-${Math.random().toString(16).slice(2)}.mts`);
  writeFileSync(file, script);
  const child = spawn(process.execPath, ['--import', 'tsx', file], { stdio: ['pipe', 'pipe', 'inherit'] });
  child.once('exit', () => rmSync(file, { force: true }));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n'))
        resolve({ ports: JSON.parse(out) as number[], release: () => child.stdin.end() });
    });
    child.on('exit', (code) => reject(new Error(`port allocator exited early with ${code}`)));
  });
}

describe('port allocation', () => {
  it('never gives the same port (or bus port) to two allocations, across processes', async () => {
    const [mine, ...children] = await Promise.all([
      Promise.all(Array.from({ length: PER_PROCESS }, () => allocatePort())),
      ...Array.from({ length: CHILDREN }, () => allocateInChild()),
    ]);
    const all = [...mine, ...children.flatMap((c) => c.ports)];
    expect(all).toHaveLength(PER_PROCESS * (CHILDREN + 1));
    // Each reservation covers the port and port + 10000 (the Cluster bus).
    const used = all.flatMap((port) => [port, port + 10_000]);
    expect(new Set(used).size).toBe(used.length);
    for (const port of mine) releasePort(port);
    for (const child of children) child.release();
  }, 30_000);

  it('reclaims a port whose reserving process died, never one whose owner lives', async () => {
    const child = await allocateInChild();
    const [held, stale] = child.ports as [number, number];
    // The child is alive: its ports are not available.
    expect(reservePort(held)).toBe(false);
    // A lock whose owner is gone (a pid that cannot exist) is reclaimed.
    writeFileSync(join(tmpdir(), 'plexus-test-ports', String(stale)), JSON.stringify({ owner: 2 ** 22 + 1 }));
    expect(reservePort(stale)).toBe(true);
    releasePort(stale);
    child.release();
  }, 30_000);
});

describe('RedisProcess chaos helpers', () => {
  let node: RedisProcess;
  afterAll(() => node?.destroy());

  it('pauses, resumes, kills, restarts on the same port, and stops gracefully', async () => {
    node = await RedisProcess.start();
    const port = node.port;
    expect(await node.command(['PING'])).toBe('PONG');

    node.pause();
    await expect(node.command(['PING'], 200)).rejects.toThrow(/timed out/);
    node.resume();
    expect(await node.command(['PING'])).toBe('PONG');

    const pid = node.pid;
    await node.kill();
    expect(node.running).toBe(false);
    await expect(node.command(['PING'], 200)).rejects.toThrow();
    await node.restart();
    expect(node.port).toBe(port);
    expect(node.pid).not.toBe(pid);
    expect(await node.command(['PING'])).toBe('PONG');
    // No persistence: nothing survives a restart.
    await node.command(['SET', 'k', 'v']);
    await node.stop();
    expect(node.running).toBe(false);
    await node.restart();
    expect(await node.command(['GET', 'k'])).toBeNull();
  });
});
