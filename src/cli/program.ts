/**
 * The `plexus` command-line program: the core's commands (./commands/index.ts), then those of every
 * application in the catalogue (each definition's `commands`).
 */
import { Command } from 'commander';
import type { AnyAppDefinition, CliApps } from '../application/definition.js';
import { packageVersion } from '../version.js';
import { commands } from './commands/index.js';

export function buildProgram(catalogue: readonly AnyAppDefinition[] = []): Command {
  const program = new Command('plexus')
    .description(
      'Plexus: run a Node.js service as many instances sharing state through Redis, degrading to one process without it.',
    )
    .version(packageVersion(), '-v, --version')
    .showHelpAfterError()
    .addHelpText(
      'after',
      '\nEvery setting can also come from the environment or a .env file; see docs/configuration.md.',
    );
  const cli: CliApps = { catalogue };
  for (const register of commands) register(program, cli);
  for (const app of catalogue) for (const register of app.commands ?? []) register(program, cli);
  return program;
}
