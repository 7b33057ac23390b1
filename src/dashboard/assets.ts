/**
 * The page's files: `dashboard.js` and `dashboard.css`, bundled by esbuild from src/dashboard/web/
 * (with uPlot) into dist/dashboard/ by `npm run build` (scripts/build-dashboard.mjs). Read once,
 * served with an ETag; the HTML names them with their hash so a new build is never mixed with an
 * old cached file.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DashboardError } from './errors.js';

export interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

export const ASSET_NAMES = ['dashboard.js', 'dashboard.css'] as const;
export type AssetName = (typeof ASSET_NAMES)[number];

// From src/dashboard/ (run through tsx) the build is in ../../dist/dashboard/; from
// dist/src/dashboard/, in ../../dashboard/.
const candidates = ['../../dist/dashboard/', '../../dashboard/'].map((relative) =>
  fileURLToPath(new URL(relative, import.meta.url)),
);

export function assetDir(): string | undefined {
  return candidates.find((dir) => ASSET_NAMES.every((name) => existsSync(`${dir}${name}`)));
}

/** The built files, or DASHBOARD_NOT_BUILT. */
export function loadAssets(): Record<AssetName, Asset> {
  const dir = assetDir();
  if (dir === undefined) {
    throw new DashboardError(
      'DASHBOARD_NOT_BUILT',
      'The dashboard page is not built: run `npm run build` in the plexus package',
    );
  }
  const read = (name: AssetName, type: string): Asset => {
    const body = readFileSync(`${dir}${name}`);
    return { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` };
  };
  return {
    'dashboard.js': read('dashboard.js', 'text/javascript; charset=utf-8'),
    'dashboard.css': read('dashboard.css', 'text/css; charset=utf-8'),
  };
}
