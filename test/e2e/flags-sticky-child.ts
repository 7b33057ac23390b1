/**
 * One process of test/e2e/flags-sticky.test.ts: a Plexus on the test's Redis prefix and SQLite file
 * reads the flags the test wrote (through its own tiers) and evaluates them for user-0 …
 * user-<n-1>; prints one JSON line: per flag, a digest of every answer in order, how many were on,
 * how many got each variant, and the reasons seen.
 *
 * node --import tsx test/e2e/flags-sticky-child.ts <instance id> <n> <flag>...   (env: as Plexus's)
 */
import { createHash } from 'node:crypto';
import { createPlexus } from '../../src/index.js';

const [instanceId = 'sticky', count = '100000', ...names] = process.argv.slice(2);
const plexus = createPlexus({ env: process.env, instanceId });
await plexus.start();
try {
  const flags: Record<
    string,
    { digest: string; on: number; variants: Record<string, number>; reasons: string[] }
  > = {};
  for (const name of names) {
    // The definition comes from Redis or the database, as on any instance.
    const record = await plexus.flags.get(name);
    if (record === null) throw new Error(`flag ${name} not found`);
    const hash = createHash('sha256');
    const variants: Record<string, number> = {};
    const reasons = new Set<string>();
    let on = 0;
    for (let i = 0; i < Number(count); i++) {
      const result = await plexus.flags.evaluate(name, { userId: `user-${i}`, roles: ['player'] });
      hash.update(`${result.enabled ? 1 : 0}${result.variant ?? '-'};`);
      if (result.enabled) on++;
      if (result.variant !== undefined) variants[result.variant] = (variants[result.variant] ?? 0) + 1;
      reasons.add(result.reason);
    }
    flags[name] = { digest: hash.digest('hex'), on, variants, reasons: [...reasons].sort() };
  }
  process.stdout.write(`${JSON.stringify({ instanceId, pid: process.pid, flags })}\n`);
} finally {
  await plexus.close();
}
