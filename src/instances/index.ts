export type {
  EffectiveStatus,
  InstanceEntry,
  MetricsDocument,
  NamespaceStatistics,
  Rule,
  ServerGroup,
} from './aggregate.js';
export { applyRules, buildDocument, FIELD_RULES } from './aggregate.js';
export { MetricsError, type MetricsErrorCode } from './errors.js';
export { httpMetrics } from './http.js';
export type {
  CountersDocument,
  ErrorContext,
  ErrorRecord,
  ErrorsDocument,
  HttpFigures,
  MetricsOptions,
  RequestRecord,
} from './metrics.js';
export { Metrics } from './metrics.js';
export type { InstanceRegistryOptions, Listing, ServersDocument } from './registry.js';
export { InstanceRegistry } from './registry.js';
export type { BusFigures, InstanceReport, WebSocketFigures, WebSocketNamespaceFigures } from './report.js';
export type { RequestCount, RequestsDocument } from './requests.js';
