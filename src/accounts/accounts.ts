/**
 * Accounts: people who log in, kept in the database (table `accounts`, migration
 * sessions-001-accounts-sessions). A login is unique regardless of case (stored lower-cased and
 * trimmed); passwords are scrypt hashes (password.ts); roles are listed in roles.ts.
 *
 * `authenticate` answers the same way, and takes as long, for an unknown login as for a wrong
 * password, so that it never reveals which logins exist. The first admin comes from
 * PLEXUS_ADMIN_EMAIL / PLEXUS_ADMIN_PASSWORD (`ensureAdmin`, at startup) or `plexus user add`.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { AccountsConfig } from '../config/sessions.js';
import type { Database, PlexusTables } from '../db/database.js';
import { type Logger, silentLogger } from '../logger.js';
import { SessionError } from '../sessions/errors.js';
import { normalizeLogin } from '../sessions/login-limiter.js';
import { AccountError } from './errors.js';
import { hashPassword, type ScryptParams, scryptParams, verifyPassword } from './password.js';
import { isRole, type Role } from './roles.js';

export interface Account {
  id: string;
  login: string;
  roles: Role[];
  displayName: string | null;
  disabled: boolean;
  createdAt: number;
  updatedAt: number;
  lastLoginAt: number | null;
}

export interface NewAccount {
  login: string;
  password: string;
  roles: readonly string[];
  displayName?: string;
}

type AccountsTable = {
  id: string;
  login: string;
  password_hash: string;
  roles: string;
  display_name: string | null;
  disabled: number;
  created_at: number;
  updated_at: number;
  last_login_at: number | null;
};

type AccountRow = AccountsTable;

export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = 1024;
export const MAX_LOGIN_LENGTH = 254;

export class Accounts {
  readonly #db: Kysely<PlexusTables & { accounts: AccountsTable }>;
  readonly #params: ScryptParams;
  readonly #logger: Logger;
  /** Hash checked against when the login is unknown, so that both cases cost the same. */
  #decoy: Promise<string> | undefined;

  constructor(db: Database, config: AccountsConfig, logger: Logger = silentLogger) {
    this.#db = db.kysely.withTables<{ accounts: AccountsTable }>();
    this.#params = scryptParams(config.scryptCost, config.scryptParallelism);
    this.#logger = logger;
  }

  async create(input: NewAccount): Promise<Account> {
    const login = checkLogin(input.login);
    checkPassword(input.password);
    const roles = checkRoles(input.roles);
    const now = Date.now();
    const row: AccountRow = {
      id: randomUUID(),
      login,
      password_hash: await hashPassword(input.password, this.#params),
      roles: JSON.stringify(roles),
      display_name: input.displayName?.trim() || null,
      disabled: 0,
      created_at: now,
      updated_at: now,
      last_login_at: null,
    };
    const inserted = await this.#db
      .insertInto('accounts')
      .values(row)
      .onConflict((oc) => oc.column('login').doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) {
      throw new AccountError('ACCOUNT_EXISTS', `An account with the login ${login} exists already`);
    }
    return toAccount(row);
  }

  async get(id: string): Promise<Account | null> {
    const row = await this.#db.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirst();
    return row === undefined ? null : toAccount(row);
  }

  async findByLogin(login: string): Promise<Account | null> {
    const row = await this.#byLogin(login);
    return row === undefined ? null : toAccount(row);
  }

  /**
   * The account whose password this is. Throws INVALID_CREDENTIALS (unknown login or wrong
   * password, indistinguishably) or ACCOUNT_DISABLED (right password, disabled account).
   */
  async authenticate(login: string, password: string): Promise<Account> {
    const row = await this.#byLogin(login);
    if (row === undefined) {
      await verifyPassword(password, await this.#decoyHash(), this.#params);
      throw invalidCredentials();
    }
    const verification = await verifyPassword(password, row.password_hash, this.#params);
    if (!verification.ok) throw invalidCredentials();
    if (row.disabled === 1) throw new SessionError('ACCOUNT_DISABLED', 'This account is disabled');
    const now = Date.now();
    const update: Partial<AccountRow> = { last_login_at: now };
    if (verification.outdated) {
      update.password_hash = await hashPassword(password, this.#params);
      update.updated_at = now;
    }
    await this.#db.updateTable('accounts').set(update).where('id', '=', row.id).execute();
    return toAccount({ ...row, ...update });
  }

  /**
   * Creates the admin named by PLEXUS_ADMIN_EMAIL / PLEXUS_ADMIN_PASSWORD unless an account with
   * that login exists (its password is then left alone). Safe when every instance starts at once.
   */
  async ensureAdmin(login: string | undefined, password: string | undefined): Promise<Account | null> {
    if (login === undefined || password === undefined) return null;
    const existing = await this.findByLogin(login);
    if (existing !== null) return null;
    try {
      const account = await this.create({ login, password, roles: ['admin'] });
      this.#logger.info({ login: account.login }, 'created the first admin from PLEXUS_ADMIN_EMAIL');
      return account;
    } catch (error) {
      if (error instanceof AccountError && error.code === 'ACCOUNT_EXISTS') return null;
      throw error;
    }
  }

  #byLogin(login: string): Promise<AccountRow | undefined> {
    return this.#db
      .selectFrom('accounts')
      .selectAll()
      .where('login', '=', normalizeLogin(login))
      .executeTakeFirst();
  }

  #decoyHash(): Promise<string> {
    this.#decoy ??= hashPassword(randomBytes(16).toString('hex'), this.#params);
    return this.#decoy;
  }
}

function invalidCredentials(): SessionError {
  return new SessionError('INVALID_CREDENTIALS', 'Wrong login or password');
}

function toAccount(row: AccountRow): Account {
  const roles = JSON.parse(row.roles) as string[];
  return {
    id: row.id,
    login: row.login,
    roles: roles.filter(isRole),
    displayName: row.display_name,
    disabled: row.disabled === 1,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    lastLoginAt: row.last_login_at === null ? null : Number(row.last_login_at),
  };
}

function checkLogin(raw: string): string {
  const login = normalizeLogin(raw);
  if (login.length === 0 || login.length > MAX_LOGIN_LENGTH || /[\s\p{Cc}]/u.test(login)) {
    throw new AccountError(
      'ACCOUNT_INVALID',
      `A login is 1 to ${MAX_LOGIN_LENGTH} characters without spaces or control characters`,
    );
  }
  return login;
}

function checkPassword(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH || password.length > MAX_PASSWORD_LENGTH) {
    throw new AccountError(
      'ACCOUNT_INVALID',
      `A password is ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters long`,
    );
  }
}

function checkRoles(roles: readonly string[]): Role[] {
  const unknown = roles.filter((role) => !isRole(role));
  if (unknown.length > 0 || roles.length === 0) {
    throw new AccountError(
      'ACCOUNT_INVALID',
      unknown.length > 0 ? `Unknown role: ${unknown.join(', ')}` : 'An account needs at least one role',
    );
  }
  return [...new Set(roles as Role[])];
}
