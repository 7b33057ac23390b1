import { describe, expect, it } from 'vitest';
import { checkEnvironment, editDistance } from '../../src/config/env-check.js';
import { createPlexus } from '../../src/index.js';
import type { Logger } from '../../src/logger.js';

describe('the startup check of environment variables', () => {
  it('warns about unknown Plexus-prefixed names, with the closest known name', () => {
    const warnings = checkEnvironment({
      REDIS_CLUSTER_NODE: 'a:1',
      CACHE_TTL_SECONDS: '60',
      SESSION_SECRE: 'x',
      PLEXUS_WORKER: '2',
      HOME: '/root',
      QR_SECRET: 'not a checked prefix',
    });
    expect(warnings.map((w) => [w.variable, w.suggestion])).toEqual([
      ['CACHE_TTL_SECONDS', 'CACHE_TTL_MS'],
      ['PLEXUS_WORKER', 'PLEXUS_WORKERS'],
      ['REDIS_CLUSTER_NODE', 'REDIS_CLUSTER_NODES'],
      ['SESSION_SECRE', 'SESSION_SECRET'],
    ]);
    expect(warnings[2]!.message).toBe(
      'REDIS_CLUSTER_NODE is not a Plexus setting and is ignored; did you mean REDIS_CLUSTER_NODES?',
    );
  });

  it('knows every declared variable, alias and refused name, and the names passed in', () => {
    expect(
      checkEnvironment({
        REDIS_URL: 'redis://h:1',
        REDIS_PORT: '1',
        REDIS_HOST: 'h',
        REDIS_CLUSTER_ENABLED: 'false',
        REDIS_MAX_RETRIES: '3',
        CACHE_TTL: '300',
        SESSION_TTL: '86400',
        PLEXUS_ADMIN_TOKEN: 'x',
      }),
    ).toEqual([]);
    expect(
      checkEnvironment({ PLEXUS_APPS: 'qr', REDIS_APP_NAME: 'x' }, ['PLEXUS_APPS', 'REDIS_APP_NAME']),
    ).toEqual([]);
  });

  it('warns when an alias says something else than its option’s own variable, which wins', () => {
    const warnings = checkEnvironment({ REDIS_URL: 'redis://a:6379', REDIS_HOST: 'b' });
    expect(warnings).toEqual([
      {
        variable: 'REDIS_HOST',
        message: 'REDIS_HOST is ignored: REDIS_URL is also set, to something else, and wins',
      },
    ]);
    expect(checkEnvironment({ CACHE_TTL_MS: '300000', CACHE_TTL: '300' })).toEqual([]);
    expect(checkEnvironment({ CACHE_TTL_MS: '1000', CACHE_TTL: '300' })).toHaveLength(1);
  });

  it('is logged by createPlexus', () => {
    const logged: [object, string | undefined][] = [];
    const logger: Logger = {
      debug() {},
      info() {},
      warn: (obj, msg) => logged.push([obj, msg]),
      error() {},
    };
    createPlexus({
      env: { REDIS_MODE: 'memory', REDIS_KEYPREFIX: 'x', APP_FLAG: '1' },
      logger,
      knownEnv: [],
    });
    expect(logged).toEqual([
      [
        { variable: 'REDIS_KEYPREFIX', suggestion: 'REDIS_KEY_PREFIX' },
        'REDIS_KEYPREFIX is not a Plexus setting and is ignored; did you mean REDIS_KEY_PREFIX?',
      ],
    ]);
  });

  it('measures edit distance', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('same', 'same')).toBe(0);
  });
});
