#!/usr/bin/env node
// The `plexus` command. It runs the compiled CLI in dist/, which `npm install` builds (the
// "prepare" script); after changing src/, run `npm run build`.
import { existsSync } from 'node:fs';

const entry = new URL('../dist/src/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('plexus: dist/ is missing; build it with `npm run build`\n');
  process.exit(1);
}
const { run } = await import(entry.href);
await run();
