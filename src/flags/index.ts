export type { AuditAction, AuditEntry, AuditPage } from './audit.js';
export type { Audience as FlagAudience, FlagDefinition, Variant } from './definition.js';
export { checkFlagName, parseFlagDefinition } from './definition.js';
export * from './errors.js';
export type { FlagContext, FlagReason, FlagResult } from './evaluate.js';
export { FLAGS_COLLECTION, type FlagRecord, Flags, type FlagWriteOptions } from './flags.js';
export { PlexusFlagProvider, toFlagContext } from './openfeature.js';
