export { CONTENT_TYPE, PrometheusExporter } from './exporter.js';
export { type Family, type FamilyType, render, type Sample } from './family.js';
