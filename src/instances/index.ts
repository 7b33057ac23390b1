export type {
  EffectiveStatus,
  InstanceEntry,
  MetricsDocument,
  NamespaceStatistics,
  Rule,
  ServerGroup,
} from './aggregate.js';
export { applyRules, buildDocument, FIELD_RULES } from './aggregate.js';
export type { InstanceRegistryOptions, Listing, ServersDocument } from './registry.js';
export { InstanceRegistry } from './registry.js';
export type { BusFigures, InstanceReport, WebSocketFigures, WebSocketNamespaceFigures } from './report.js';
