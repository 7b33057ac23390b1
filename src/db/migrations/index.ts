/**
 * Every migration, in the order it applies. A module adds its migration as one file in this
 * folder (`<module>-<nnn>-<what>.ts`, exporting a `Migration`) and one line at the end of this list.
 * Never edit or reorder a migration that has shipped: add a new one.
 */
import type { Migration } from '../migration.js';
import { qr001StudentsStalls } from './qr-001-students-stalls.js';
import { sessions001AccountsSessions } from './sessions-001-accounts-sessions.js';

export const migrations: readonly Migration[] = [sessions001AccountsSessions, qr001StudentsStalls];
