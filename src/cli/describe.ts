/** The startup line's account of where shared state and data live. */
import type { PlexusConfig } from '../config/index.js';

export function describeBackends(config: PlexusConfig, database: string): string {
  const redis = config.redis;
  const state =
    redis.mode === 'memory'
      ? 'no Redis configured: memory backend, state is not shared with other processes (set REDIS_URL to share it)'
      : `Redis ${redis.mode} ${redisTarget(config)} (prefix ${redis.keyPrefix})`;
  return `${state}; database: ${database}`;
}

function redisTarget(config: PlexusConfig): string {
  const redis = config.redis;
  switch (redis.mode) {
    case 'single': {
      const url = new URL(redis.url ?? 'redis://127.0.0.1:6379');
      return `${url.hostname}:${url.port || '6379'}`;
    }
    case 'sentinel':
      return `${redis.sentinelMaster} via ${redis.sentinels.map((s) => `${s.host}:${s.port}`).join(',')}`;
    case 'cluster':
      return redis.clusterNodes.map((n) => `${n.host}:${n.port}`).join(',');
    case 'rest':
      return `Upstash REST ${new URL(redis.restUrl ?? '').host}`;
    case 'memory':
      return '';
  }
}
