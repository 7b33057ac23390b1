// Bundles the admin dashboard's front end (src/dashboard/web/, with uPlot) into dist/dashboard/
// (dashboard.js, dashboard.css), after type-checking it with its own tsconfig (it uses the DOM
// library, which the server code must not see). Run by `npm run build` (and so by `prepare`).
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
execFileSync(
  process.execPath,
  [`${root}node_modules/typescript/bin/tsc`, '-p', `${root}src/dashboard/web/tsconfig.json`],
  {
    stdio: 'inherit',
  },
);
await build({
  entryPoints: { dashboard: `${root}src/dashboard/web/main.ts` },
  outdir: `${root}dist/dashboard`,
  bundle: true,
  format: 'esm',
  target: 'es2022',
  minify: true,
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
});
