/**
 * Accounts on both database engines: unique logins whatever their case, validation, password
 * checks (including a disabled account and hashes made with older parameters), and the first admin
 * created once even when several instances start at the same moment.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Accounts } from '../../src/accounts/accounts.js';
import { loadDbConfig } from '../../src/config/db.js';
import { loadAccountsConfig } from '../../src/config/sessions.js';
import { Database } from '../../src/db/database.js';
import { PASSWORD } from '../support/sessions-helpers.js';
import { type EngineTarget, postgresTarget, sqliteTarget } from './db/fixtures.js';

const FAST = { PASSWORD_SCRYPT_COST: '10', PASSWORD_SCRYPT_PARALLELISM: '1' };

describe.each([
  ['SQLite', sqliteTarget],
  ['PostgreSQL', postgresTarget],
] as const)('accounts on %s', (_name, makeTarget) => {
  let target: EngineTarget;
  let db: Database;
  let accounts: Accounts;

  beforeAll(async () => {
    target = makeTarget();
    db = new Database(loadDbConfig(target.env));
    await db.open();
    accounts = new Accounts(db, loadAccountsConfig(FAST));
  });

  afterAll(async () => {
    await db.close();
    await target.drop();
  });

  it('creates an account with a normalised, unique login', async () => {
    const account = await accounts.create({
      login: '  Zoe@Example.COM ',
      password: PASSWORD,
      roles: ['volunteer', 'player', 'player'],
      displayName: ' Zoé ',
    });
    expect(account).toMatchObject({
      login: 'zoe@example.com',
      roles: ['volunteer', 'player'],
      displayName: 'Zoé',
      disabled: false,
      lastLoginAt: null,
    });
    expect(await accounts.get(account.id)).toEqual(account);
    await expect(
      accounts.create({ login: 'ZOE@example.com', password: PASSWORD, roles: ['admin'] }),
    ).rejects.toMatchObject({
      code: 'ACCOUNT_EXISTS',
    });
  });

  it('refuses bad logins, passwords and roles', async () => {
    const cases = [
      { login: '', password: PASSWORD, roles: ['staff'] },
      { login: 'has space@example.com', password: PASSWORD, roles: ['staff'] },
      { login: 'x'.repeat(255), password: PASSWORD, roles: ['staff'] },
      { login: 'short@example.com', password: 'seven77', roles: ['staff'] },
      { login: 'norole@example.com', password: PASSWORD, roles: [] },
      { login: 'wizard@example.com', password: PASSWORD, roles: ['wizard'] },
    ];
    for (const input of cases) {
      await expect(accounts.create(input), JSON.stringify(input).slice(0, 60)).rejects.toMatchObject({
        code: 'ACCOUNT_INVALID',
      });
    }
  });

  it('authenticates, and answers wrong password and unknown login alike', async () => {
    await accounts.create({ login: 'yan@example.com', password: PASSWORD, roles: ['staff'] });
    const account = await accounts.authenticate('YAN@example.com', PASSWORD);
    expect(account.login).toBe('yan@example.com');
    expect(account.lastLoginAt).toBeGreaterThan(Date.now() - 60_000);
    const wrong = await accounts.authenticate('yan@example.com', 'not the password').catch((e: unknown) => e);
    const unknown = await accounts.authenticate('nobody@example.com', PASSWORD).catch((e: unknown) => e);
    expect(wrong).toMatchObject({ code: 'INVALID_CREDENTIALS', message: 'Wrong login or password' });
    expect(unknown).toMatchObject({ code: 'INVALID_CREDENTIALS', message: 'Wrong login or password' });
  });

  it('refuses a disabled account only once the password is right', async () => {
    const account = await accounts.create({ login: 'xia@example.com', password: PASSWORD, roles: ['staff'] });
    await db.kysely
      .withTables<{ accounts: { id: string; disabled: number } }>()
      .updateTable('accounts')
      .set({ disabled: 1 })
      .where('id', '=', account.id)
      .execute();
    await expect(accounts.authenticate('xia@example.com', 'not the password')).rejects.toMatchObject({
      code: 'INVALID_CREDENTIALS',
    });
    await expect(accounts.authenticate('xia@example.com', PASSWORD)).rejects.toMatchObject({
      code: 'ACCOUNT_DISABLED',
    });
  });

  it('re-hashes a password made with other parameters at the next login', async () => {
    await accounts.create({ login: 'wes@example.com', password: PASSWORD, roles: ['staff'] });
    const stronger = new Accounts(
      db,
      loadAccountsConfig({ PASSWORD_SCRYPT_COST: '11', PASSWORD_SCRYPT_PARALLELISM: '1' }),
    );
    const hashOf = async () =>
      (
        await db.kysely
          .withTables<{ accounts: { login: string; password_hash: string } }>()
          .selectFrom('accounts')
          .select('password_hash')
          .where('login', '=', 'wes@example.com')
          .executeTakeFirstOrThrow()
      ).password_hash;
    expect(await hashOf()).toMatch(/^\$scrypt\$ln=10,r=8,p=1\$/);
    await stronger.authenticate('wes@example.com', PASSWORD);
    expect(await hashOf()).toMatch(/^\$scrypt\$ln=11,r=8,p=1\$/);
    await stronger.authenticate('wes@example.com', PASSWORD);
    await accounts.authenticate('wes@example.com', PASSWORD);
  });

  it('creates the first admin once, even from instances starting together', async () => {
    const results = await Promise.all(
      Array.from({ length: 4 }, () =>
        new Accounts(db, loadAccountsConfig(FAST)).ensureAdmin('Root@Example.com', PASSWORD),
      ),
    );
    expect(results.filter((r) => r !== null)).toHaveLength(1);
    expect(await accounts.ensureAdmin('root@example.com', 'another password')).toBeNull();
    expect((await accounts.authenticate('root@example.com', PASSWORD)).roles).toEqual(['admin']);
    expect(await accounts.ensureAdmin(undefined, undefined)).toBeNull();
  });
});
