/** The attendance app's migrations, in the order they apply (`attendance-<nnn>-<what>`; never reorder). */
import type { Migration } from '../../../db/migration.js';
import { attendance001 } from './001-attendance.js';
import { attendance002 } from './002-display-links.js';

export const attendanceMigrations: readonly Migration[] = [attendance001, attendance002];
