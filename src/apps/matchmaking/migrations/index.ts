/** The matchmaking app's migrations, in the order they apply (never reorder). */
import type { Migration } from '../../../db/migration.js';
import { mm001Matchmaking } from './001-matchmaking.js';

export const matchmakingMigrations: readonly Migration[] = [mm001Matchmaking];
