import { describe, expect, it } from 'vitest';
import {
  DEVELOPMENT_SESSION_SECRET,
  loadAccountsConfig,
  loadSessionsConfig,
  sessionSecrets,
} from '../../src/config/sessions.js';
import { ConfigError } from '../../src/errors.js';

const SECRET = 'a-session-secret-of-at-least-32-characters';
const OLD = 'the-previous-secret-also-32-characters-long';

function settingOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).setting;
  }
  throw new Error('expected a ConfigError');
}

describe('sessions configuration', () => {
  it('has documented defaults', () => {
    expect(loadSessionsConfig({})).toEqual({
      secret: undefined,
      previousSecrets: [],
      ttlSeconds: 86_400,
      cookieName: 'plexus.sid',
      cookieSecure: 'auto',
      durable: false,
      durableFlushMs: 2000,
      localCacheMs: 2000,
      localCacheMaxEntries: 10_000,
      outageGraceMs: 300_000,
      loginAccountLimit: 10,
      loginIpLimit: 50,
      loginWindowSeconds: 900,
    });
  });

  it('requires a secret of 32 characters or more in production, and only there', () => {
    expect(sessionSecrets(loadSessionsConfig({}), 'development')).toEqual([DEVELOPMENT_SESSION_SECRET]);
    expect(settingOf(() => sessionSecrets(loadSessionsConfig({}), 'production'))).toBe('SESSION_SECRET');
    expect(settingOf(() => loadSessionsConfig({ SESSION_SECRET: 'x'.repeat(31) }))).toBe('SESSION_SECRET');
    const config = loadSessionsConfig({ SESSION_SECRET: SECRET, SESSION_PREVIOUS_SECRETS: ` ${OLD} ,` });
    expect(sessionSecrets(config, 'production')).toEqual([SECRET, OLD]);
    expect(settingOf(() => loadSessionsConfig({ SESSION_PREVIOUS_SECRETS: 'short' }))).toBe(
      'SESSION_PREVIOUS_SECRETS',
    );
  });

  it('refuses bad values, naming the setting', () => {
    expect(settingOf(() => loadSessionsConfig({ SESSION_COOKIE_NAME: 'my cookie' }))).toBe(
      'SESSION_COOKIE_NAME',
    );
    expect(settingOf(() => loadSessionsConfig({ SESSION_TTL: '10' }))).toBe('SESSION_TTL');
    expect(settingOf(() => loadSessionsConfig({ SESSION_COOKIE_SECURE: 'sometimes' }))).toBe(
      'SESSION_COOKIE_SECURE',
    );
    expect(settingOf(() => loadSessionsConfig({}, { durable: 'maybe' as unknown as boolean }))).toBe(
      'sessions.durable',
    );
  });

  it('takes the first admin as a pair of settings', () => {
    expect(
      loadAccountsConfig({ PLEXUS_ADMIN_EMAIL: 'a@example.com', PLEXUS_ADMIN_PASSWORD: 'x' }),
    ).toMatchObject({
      adminEmail: 'a@example.com',
      scryptCost: 15,
      scryptParallelism: 3,
    });
    expect(settingOf(() => loadAccountsConfig({ PLEXUS_ADMIN_EMAIL: 'a@example.com' }))).toBe(
      'PLEXUS_ADMIN_PASSWORD',
    );
    expect(settingOf(() => loadAccountsConfig({ PLEXUS_ADMIN_PASSWORD: 'secret pass' }))).toBe(
      'PLEXUS_ADMIN_EMAIL',
    );
    expect(settingOf(() => loadAccountsConfig({ PASSWORD_SCRYPT_COST: '30' }))).toBe('PASSWORD_SCRYPT_COST');
  });
});
