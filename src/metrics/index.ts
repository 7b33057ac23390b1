export type { CountersDocument } from './counters.js';
export { MetricsError, type MetricsErrorCode } from './errors.js';
export type { HttpFigures, HttpTotals } from './gauges.js';
export { httpMetrics } from './http.js';
export { Metrics, type MetricsOptions } from './metrics.js';
export type { ErrorContext, ErrorRecord, ErrorsDocument } from './recent-errors.js';
export type { RequestRecord } from './requests.js';
export type { RequestCount, RequestsDocument } from './requests-document.js';
