/**
 * Rollouts and variants sticky across processes: three Node processes (separate heaps, hash
 * seeds and instance ids) on one Redis prefix and one SQLite file read the flags this test wrote
 * and evaluate them for the same 100,000 user ids; every process gives every user the same answer
 * (a digest of all answers in order), this process agrees too, and the shares are within five
 * standard deviations of the percentages.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPlexus, type Plexus } from '../../src/index.js';
import { TEST_REDIS_URL, uniquePrefix } from '../support/redis.js';
import { runNode } from './cli-process.js';

const CHILD = fileURLToPath(new URL('./flags-sticky-child.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');
const USERS = 100_000;

interface FlagFigures {
  digest: string;
  on: number;
  variants: Record<string, number>;
  reasons: string[];
}

let dir: string;
let env: Record<string, string>;
let writer: Plexus;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'plexus-flags-sticky-'));
  env = {
    REDIS_MODE: 'single',
    REDIS_URL: TEST_REDIS_URL,
    REDIS_KEY_PREFIX: uniquePrefix('flags-sticky'),
    DATABASE_URL: `sqlite:${join(dir, 'plexus.db')}`,
  };
  writer = createPlexus({ env, instanceId: 'sticky-writer' });
  await writer.start();
  await writer.flags.put('sticky-rollout', { enabled: true, rollout: 25 });
  await writer.flags.put('sticky-variants', {
    enabled: true,
    rollout: 60,
    variants: [
      { name: 'a', weight: 20 },
      { name: 'b', weight: 30 },
      { name: 'c', weight: 50 },
    ],
  });
}, 60_000);

afterAll(async () => {
  await writer?.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

/** Evaluates the flags in `flags` for every user the way the child does, in this process. */
async function here(plexus: Plexus, names: string[]): Promise<Record<string, string>> {
  const { createHash } = await import('node:crypto');
  const digests: Record<string, string> = {};
  for (const name of names) {
    const hash = createHash('sha256');
    for (let i = 0; i < USERS; i++) {
      const result = await plexus.flags.evaluate(name, { userId: `user-${i}`, roles: ['player'] });
      hash.update(`${result.enabled ? 1 : 0}${result.variant ?? '-'};`);
    }
    digests[name] = hash.digest('hex');
  }
  return digests;
}

/** Within five standard deviations of the binomial expectation. */
function expectShare(count: number, total: number, p: number): void {
  const sigma = Math.sqrt(total * p * (1 - p));
  expect(Math.abs(count - total * p)).toBeLessThan(5 * sigma);
}

describe('rollout and variants sticky across processes', () => {
  it('three processes give the same 100,000 users the same answers', async () => {
    const names = ['sticky-rollout', 'sticky-variants'];
    // One after the other: the machine is shared, and stickiness does not depend on concurrency.
    const outputs: { instanceId: string; pid: number; flags: Record<string, FlagFigures> }[] = [];
    for (let i = 0; i < 3; i++) {
      const run = runNode(['--import', TSX, CHILD, `sticky-${i}`, String(USERS), ...names], {
        cwd: dir,
        env,
      });
      const { code } = await run.exited;
      if (code !== 0) throw new Error(`child ${i} exited ${code}: ${run.stderr.join('\n')}`);
      const line = run.stdout.find((l) => l.startsWith('{'));
      if (line === undefined) throw new Error(`child ${i} printed no result: ${run.stdout.join('\n')}`);
      outputs.push(JSON.parse(line));
    }
    expect(new Set(outputs.map((o) => o.pid)).size).toBe(3);
    expect(outputs.map((o) => o.instanceId)).toEqual(['sticky-0', 'sticky-1', 'sticky-2']);
    const [first, ...others] = outputs;
    for (const other of others) expect(other.flags).toEqual(first!.flags);
    // This process (the writer) agrees with them.
    const digests = await here(writer, names);
    for (const name of names) expect(digests[name]).toBe(first!.flags[name]!.digest);

    const rollout = first!.flags['sticky-rollout']!;
    expectShare(rollout.on, USERS, 0.25);
    expect(rollout.reasons).toEqual(['SPLIT']);
    const variants = first!.flags['sticky-variants']!;
    expectShare(variants.on, USERS, 0.6);
    expect(Object.values(variants.variants).reduce((a, b) => a + b, 0)).toBe(variants.on);
    expectShare(variants.variants.a!, variants.on, 0.2);
    expectShare(variants.variants.b!, variants.on, 0.3);
    expectShare(variants.variants.c!, variants.on, 0.5);
  }, 180_000);
});
