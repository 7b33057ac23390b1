export type {
  AnyAppDefinition,
  ApiOf,
  AppCommand,
  AppContext,
  AppDefinition,
  AppHealth,
  AppInstance,
  AppJob,
  AppsOf,
  CliApps,
  PlexusCore,
} from './definition.js';
export { defineApp } from './definition.js';
export { type InstalledApp, migrationsFor } from './install.js';
export { selectApps } from './select.js';
