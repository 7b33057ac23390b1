import type { Command } from 'commander';

/** Registers one subcommand (with its options, help and action) on the `plexus` program. */
export type CommandModule = (program: Command) => void;
