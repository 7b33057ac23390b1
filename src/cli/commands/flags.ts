/**
 * `plexus flags list` · `plexus flags set <name> <json> [--if-version n]` ·
 * `plexus flags enable <name>` · `plexus flags disable <name>`: feature flags (src/flags/) from
 * the command line. `set` takes a whole definition (docs/flags.md); `enable`/`disable` change
 * only `enabled` (compare-and-set on the version read). Every change is audited as `cli:<user>`.
 */
import type { Command } from 'commander';
import { parse } from '../../config/option.js';
import { FlagError } from '../../flags/errors.js';
import { type ConfigFlags, withConfigOptions } from '../config.js';
import { EXIT_OK } from '../exit-codes.js';
import { cliActor, printJson, withSettings } from './settings-session.js';
import type { CommandModule } from './types.js';

interface SetFlags extends ConfigFlags {
  ifVersion?: number;
}

export const flagsCommand: CommandModule = (program) => {
  const flags: Command = program.command('flags').description('List and change feature flags.');
  withConfigOptions(
    flags.command('list').description('Print every flag with its definition and version.'),
  ).action(async (options: ConfigFlags) => {
    process.exitCode = await withSettings(options, async ({ flags }) => {
      printJson(await flags.list());
      return EXIT_OK;
    });
  });
  withConfigOptions(
    flags
      .command('set <name> <json>')
      .description('Create or replace a flag: \'{"enabled":true,"rollout":10}\'.')
      .option('--if-version <n>', 'only if the current version is n (0: only if absent)', (v) =>
        parse.integer(0)(v, '--if-version'),
      ),
  ).action(async (name: string, json: string, options: SetFlags) => {
    process.exitCode = await withSettings(options, async ({ flags }) => {
      let definition: unknown;
      try {
        definition = JSON.parse(json);
      } catch {
        throw new FlagError('FLAG_INVALID_RULE', `not JSON: ${json.slice(0, 80)}`);
      }
      printJson(
        await flags.put(name, definition, {
          by: cliActor(),
          ...(options.ifVersion === undefined ? {} : { ifVersion: options.ifVersion }),
        }),
      );
      return EXIT_OK;
    });
  });
  for (const [verb, enabled] of [
    ['enable', true],
    ['disable', false],
  ] as const) {
    withConfigOptions(
      flags
        .command(`${verb} <name>`)
        .description(`Turn a flag ${enabled ? 'on' : 'off'} for the general audience.`),
    ).action(async (name: string, options: ConfigFlags) => {
      process.exitCode = await withSettings(options, async ({ flags }) => {
        printJson(await flags.update(name, (d) => ({ ...d, enabled }), { by: cliActor() }));
        return EXIT_OK;
      });
    });
  }
};
