export * from './errors.js';
export type { SettingsTables, WriteHook } from './repository.js';
export { type ChangeHandler, REFRESH_CHANNEL, Settings, type SettingsPage } from './settings.js';
export type * from './types.js';
