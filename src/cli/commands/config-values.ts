/**
 * `plexus config get <collection> <key>` · `plexus config set <collection> <key> <json>
 * [--if-version n]` · `plexus config list <collection> [--cursor c] [--limit n]`: the
 * configuration values (src/settings/) from the command line. `set` takes a JSON value
 * (`'"text"'`, `42`, `'{"a":1}'`); a stale `--if-version` fails with SETTINGS_VERSION_CONFLICT.
 */
import type { Command } from 'commander';
import { parse } from '../../config/option.js';
import { SettingsError } from '../../settings/errors.js';
import type { JsonValue } from '../../settings/types.js';
import { type ConfigFlags, withConfigOptions } from '../config.js';
import { EXIT_FAILURE, EXIT_OK } from '../exit-codes.js';
import { cliActor, printJson, withSettings } from './settings-session.js';
import type { CommandModule } from './types.js';

interface SetFlags extends ConfigFlags {
  ifVersion?: number;
}
interface ListFlags extends ConfigFlags {
  cursor?: string;
  limit?: number;
}

export const configCommand: CommandModule = (program) => {
  const config: Command = program
    .command('config')
    .description('Read and change configuration values (database, Redis, every instance).');
  withConfigOptions(
    config.command('get <collection> <key>').description('Print a value with its version.'),
  ).action(async (collection: string, key: string, flags: ConfigFlags) => {
    process.exitCode = await withSettings(flags, async ({ settings }) => {
      const entry = await settings.get(collection, key);
      if (entry === null) {
        process.stderr.write(`plexus: no value ${collection}/${key}\n`);
        return EXIT_FAILURE;
      }
      printJson(entry);
      return EXIT_OK;
    });
  });
  withConfigOptions(
    config
      .command('set <collection> <key> <json>')
      .description('Write a JSON value; every running instance sees it when the command returns.')
      .option('--if-version <n>', 'only if the current version is n (0: only if absent)', (v) =>
        parse.integer(0)(v, '--if-version'),
      ),
  ).action(async (collection: string, key: string, json: string, flags: SetFlags) => {
    process.exitCode = await withSettings(flags, async ({ settings }) => {
      let value: JsonValue;
      try {
        value = JSON.parse(json) as JsonValue;
      } catch {
        throw new SettingsError(
          'SETTINGS_INVALID',
          `not JSON: ${json.slice(0, 80)} (quote strings: '"text"')`,
        );
      }
      const entry = await settings.set(collection, key, value, {
        by: cliActor(),
        ...(flags.ifVersion === undefined ? {} : { ifVersion: flags.ifVersion }),
      });
      printJson(entry);
      return EXIT_OK;
    });
  });
  withConfigOptions(
    config
      .command('list <collection>')
      .description('Print one page of a collection, in key order.')
      .option('--cursor <cursor>', 'the `next` of the previous page')
      .option('--limit <n>', 'entries per page (1-200, default 50)', (v) =>
        parse.integer(1, 200)(v, '--limit'),
      ),
  ).action(async (collection: string, flags: ListFlags) => {
    process.exitCode = await withSettings(flags, async ({ settings }) => {
      printJson(
        await settings.list(collection, {
          ...(flags.cursor === undefined ? {} : { cursor: flags.cursor }),
          ...(flags.limit === undefined ? {} : { limit: flags.limit }),
        }),
      );
      return EXIT_OK;
    });
  });
};
