/**
 * Every core `plexus` subcommand. A module adds its command as one file in this folder exporting a
 * `CommandModule` (see start.ts; use `withConfigOptions` and `loadCliConfig` from ../config.js so
 * it reads configuration like every other command), and one line in this list. Applications list
 * theirs in their definition.
 */
import { configCommand } from './config-values.js';
import { flagsCommand } from './flags.js';
import { startCommand } from './start.js';
import type { CommandModule } from './types.js';
import { userAddCommand } from './user-add.js';
import { warmCacheCommand } from './warm-cache.js';

export type { CommandModule } from './types.js';

export const commands: readonly CommandModule[] = [
  startCommand,
  userAddCommand,
  warmCacheCommand,
  configCommand,
  flagsCommand,
];
