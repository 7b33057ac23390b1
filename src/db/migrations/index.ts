/**
 * The core's migrations, in the order they apply. A core module adds its migration as one file in
 * this folder (`<module>-<nnn>-<what>.ts`, exporting a `Migration`) and one line at the end of this
 * list. Applications keep their own ordered list in their definition (src/application/); theirs run
 * after these, and only for the applications installed. Never edit or reorder a migration that has
 * shipped: add a new one.
 */
import type { Migration } from '../migration.js';
import { realtime001Endpoints } from './realtime-001-endpoints.js';
import { sessions001AccountsSessions } from './sessions-001-accounts-sessions.js';
import { sessions002LogoutEpochs } from './sessions-002-logout-epochs.js';
import { settings001SettingsFlagAudit } from './settings-001-settings-flag-audit.js';

export const migrations: readonly Migration[] = [
  sessions001AccountsSessions,
  sessions002LogoutEpochs,
  realtime001Endpoints,
  settings001SettingsFlagAudit,
];
