/**
 * A `Metrics` on the in-process store (a layer of its own, so no test shares counts), for tests of
 * what feeds it (HTTP hooks, the fast lane); the route and status of each finished request in
 * `seen`, in order.
 */
import { silentLogger } from '../../src/logger.js';
import { Metrics } from '../../src/metrics/index.js';
import { Keys } from '../../src/redis/keys.js';
import { MemoryStore } from '../../src/redis/memory/memory-store.js';
import { ManualLayer } from './layers.js';

export function memoryMetrics(prefix: string): { metrics: Metrics; seen: string[] } {
  const metrics = new Metrics(new ManualLayer(new MemoryStore(), new Keys(prefix), 'memory'), {
    instanceId: 'i0',
    serverName: 's',
    errorsKept: 3,
    requestsRetentionMinutes: 5,
    maxRoutesPerMinute: 100,
    logger: silentLogger,
  });
  const seen: string[] = [];
  metrics.observeRequests((record) => seen.push(`${record.method} ${record.route} ${record.status}`));
  return { metrics, seen };
}
