import type { AppCommand } from '../../application/definition.js';

/**
 * Registers one subcommand (with its options, help and action) on the `plexus` program; the second
 * argument holds the catalogue of applications the CLI was given.
 */
export type CommandModule = AppCommand;
