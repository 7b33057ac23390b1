/** The QR app's migrations, in the order they apply (names are `qr-<nnn>-<what>`; never reorder). */
import type { Migration } from '../../../db/migration.js';
import { qr001StudentsStalls } from './001-students-stalls.js';

export const qrMigrations: readonly Migration[] = [qr001StudentsStalls];
