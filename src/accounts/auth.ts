/**
 * `Auth`: accounts, sessions and the session cookie put together — what `createPlexus` builds and
 * the auth routes, the admin check and the CLI use.
 *
 * Login: the attempt is counted against the address and the account name (LOGIN_RATE_LIMITED past
 * either limit), the password is checked, the request's previous session (if any) is ended and a
 * new one with a fresh id is created, holding the account's id, login and roles. Changing those
 * later means ending the account's sessions (`sessions.destroyUser`), which every instance sees.
 */
import type { PlexusConfig } from '../config/index.js';
import { sessionSecrets } from '../config/sessions.js';
import type { Database } from '../db/database.js';
import { type Logger, silentLogger } from '../logger.js';
import type { RedisLayer } from '../redis/layer.js';
import { DatabaseSessionArchive } from '../sessions/archive.js';
import { SessionCookie } from '../sessions/cookie.js';
import { DurableSessions } from '../sessions/durable.js';
import { LoginLimiter } from '../sessions/login-limiter.js';
import type { SessionUser } from '../sessions/record.js';
import { Sessions, type SessionsHealth } from '../sessions/sessions.js';
import { type Account, Accounts } from './accounts.js';

export type AdminVerdict = 'admin' | 'forbidden' | 'none';

export class Auth {
  readonly accounts: Accounts;
  readonly sessions: Sessions;
  readonly cookie: SessionCookie;
  readonly limiter: LoginLimiter;
  readonly #config: PlexusConfig;

  constructor(
    config: PlexusConfig,
    redis: RedisLayer,
    db: Database,
    logger: Logger = silentLogger,
    instanceId?: string,
  ) {
    this.#config = config;
    const settings = config.sessions;
    const ttlMs = settings.ttlSeconds * 1000;
    const secure =
      settings.cookieSecure === 'always' ||
      (settings.cookieSecure === 'auto' && config.server.environment === 'production');
    this.cookie = new SessionCookie({
      name: settings.cookieName,
      secrets: sessionSecrets(settings, config.server.environment),
      secure,
      maxAgeSeconds: settings.ttlSeconds,
    });
    const durable = settings.durable
      ? new DurableSessions(new DatabaseSessionArchive(db), {
          flushMs: settings.durableFlushMs,
          purgeAfterMs: ttlMs,
          logger,
        })
      : undefined;
    this.sessions = new Sessions(redis, {
      ttlMs,
      logger,
      durable,
      instanceId,
      localCache: { maxAgeMs: settings.localCacheMs, maxEntries: settings.localCacheMaxEntries },
      outageGraceMs: settings.outageGraceMs,
      maxEntries: settings.localCacheMaxEntries,
    });
    this.accounts = new Accounts(db, config.accounts, logger);
    this.limiter = new LoginLimiter(redis, {
      perAccount: settings.loginAccountLimit,
      perAddress: settings.loginIpLimit,
      windowMs: settings.loginWindowSeconds * 1000,
    });
  }

  /** Creates the configured first admin, then starts sessions (restoring them in durable mode). */
  async start(): Promise<void> {
    const { adminEmail, adminPassword } = this.#config.accounts;
    await this.accounts.ensureAdmin(adminEmail, adminPassword);
    await this.sessions.start();
  }

  async close(): Promise<void> {
    this.limiter.close();
    await this.sessions.close();
  }

  health(): SessionsHealth {
    return this.sessions.health();
  }

  /** Checks a login attempt; throws LOGIN_RATE_LIMITED, INVALID_CREDENTIALS or ACCOUNT_DISABLED. */
  async authenticate(login: string, password: string, address: string): Promise<Account> {
    await this.limiter.attempt(login, address);
    const account = await this.accounts.authenticate(login, password);
    await this.limiter.succeeded(login);
    return account;
  }

  /** Whether a Cookie header names a live session of an admin (for `requireAdmin`). */
  async adminVerdict(cookieHeader: string | undefined): Promise<AdminVerdict> {
    const read = this.cookie.read(cookieHeader);
    if (read.status !== 'valid') return 'none';
    const record = await this.sessions.load(read.id);
    if (record?.user == null) return 'none';
    return record.user.roles?.includes('admin') ? 'admin' : 'forbidden';
  }
}

/** What a session keeps about its account. */
export function sessionUser(account: Account): SessionUser {
  return { id: account.id, login: account.login, roles: [...account.roles] };
}
