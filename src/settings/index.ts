export * from './errors.js';
export type { SettingsTables, WriteHook } from './repository.js';
export * from './runtime.js';
export {
  type ChangeHandler,
  REFRESH_CHANNEL,
  Settings,
  type SettingsPage,
  type ValueCheck,
} from './settings.js';
export type * from './types.js';
