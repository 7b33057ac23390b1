/**
 * Several Plexus instances in this process on the shared Redis (a unique key prefix) and one
 * database (a temp SQLite file or a unique PostgreSQL schema), for the settings and flags tests.
 */
import { createPlexus, type Plexus } from '../../../src/index.js';
import { TEST_REDIS_URL, uniquePrefix } from '../../support/redis.js';
import { type EngineTarget, postgresTarget, sqliteTarget } from '../db/fixtures.js';

export interface Cluster {
  instances: Plexus[];
  target: EngineTarget;
  close(): Promise<void>;
}

export async function startInstances(
  count: number,
  engine: 'sqlite' | 'postgres' = 'sqlite',
  env: Record<string, string> = {},
): Promise<Cluster> {
  const target = engine === 'sqlite' ? sqliteTarget() : postgresTarget();
  const prefix = uniquePrefix('flags');
  const instances: Plexus[] = [];
  for (let i = 0; i < count; i++) {
    const plexus = createPlexus({
      env: {
        REDIS_MODE: 'single',
        REDIS_URL: TEST_REDIS_URL,
        REDIS_KEY_PREFIX: prefix,
        ...target.env,
        ...env,
      },
      instanceId: `flags-${i}`,
    });
    // One at a time: the first runs the migrations.
    await plexus.start();
    instances.push(plexus);
  }
  return {
    instances,
    target,
    async close() {
      await Promise.all(instances.map((p) => p.close()));
      await target.drop();
    },
  };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function until(
  what: string,
  predicate: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}
