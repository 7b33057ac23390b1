/**
 * `plexus user add <login> --role <role>...`: creates an account in the configured database (for
 * the first admin: `plexus user add admin@example.com --role admin`). The password is asked for
 * twice without echo when stdin is a terminal, else read from stdin's first line, so that it never
 * appears in the shell history or the process list: `printf '%s\n' "$PW" | plexus user add ...`.
 */
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import type { Command } from 'commander';
import { Accounts } from '../../accounts/accounts.js';
import { AccountError } from '../../accounts/errors.js';
import { ROLES } from '../../accounts/roles.js';
import type { CliApps } from '../../application/definition.js';
import { Database } from '../../db/database.js';
import { type ConfigFlags, loadCliConfig, withConfigOptions } from '../config.js';
import { EXIT_FAILURE, EXIT_OK } from '../exit-codes.js';
import type { CommandModule } from './types.js';

interface UserAddFlags extends ConfigFlags {
  role: string[];
  name?: string;
}

export const userAddCommand: CommandModule = (program, cli) => {
  const user =
    program.commands.find((c) => c.name() === 'user') ??
    program.command('user').description('Manage accounts.');
  const command: Command = user
    .command('add <login>')
    .description('Create an account; the password is prompted for (or read from stdin when piped).')
    .requiredOption(
      '-r, --role <role>',
      `role to grant, repeatable: ${ROLES.join(', ')}`,
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option('-n, --name <display name>', 'name shown to others');
  withConfigOptions(command).action(async (login: string, flags: UserAddFlags) => {
    process.exitCode = await addUser(login, flags, cli);
  });
};

async function addUser(login: string, flags: UserAddFlags, cli: CliApps): Promise<number> {
  const { config } = loadCliConfig(flags, {}, cli);
  const db = new Database(config.db);
  try {
    const password = await readPassword();
    await db.open();
    const accounts = new Accounts(db, config.accounts);
    const account = await accounts.create({ login, password, roles: flags.role, displayName: flags.name });
    process.stdout.write(`Created ${account.login} (${account.id}) with roles ${account.roles.join(', ')}\n`);
    return EXIT_OK;
  } catch (error) {
    if (!(error instanceof AccountError)) throw error;
    process.stderr.write(`plexus: ${error.message}\n`);
    return EXIT_FAILURE;
  } finally {
    await db.close();
  }
}

async function readPassword(): Promise<string> {
  if (!process.stdin.isTTY) {
    const lines = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
    for await (const line of lines) {
      lines.close();
      return line;
    }
    return '';
  }
  const first = await prompt('Password: ');
  const second = await prompt('Repeat password: ');
  if (first !== second) throw new AccountError('ACCOUNT_INVALID', 'The two passwords differ');
  return first;
}

/** Asks on the terminal without echoing what is typed. */
function prompt(question: string): Promise<string> {
  let muted = false;
  const output = new Writable({
    write(chunk, _encoding, done) {
      if (!muted) process.stderr.write(chunk);
      done();
    },
  });
  const rl = createInterface({ input: process.stdin, output, terminal: true });
  return new Promise((resolve) => {
    rl.question(question, (answer) => {
      rl.close();
      process.stderr.write('\n');
      resolve(answer);
    });
    muted = true;
  });
}
