/**
 * The package as users get it: `npm pack`, then install the tarball into a new project next to
 * Fastify and Express, import every subpath of the exports map (with plain Node, and with the
 * TypeScript compiler for the declarations), run the `plexus` bin, and start the Fastify example
 * from the installed copy.
 *
 * `npm pack` packs the dist/ that `npm install` built (the "prepare" script) rather than building
 * again, which would rewrite dist/ under the other test files that run it. The install skips install scripts and reuses the native SQLite binding this checkout's `npm ci`
 * already compiled for this Node (the same version of better-sqlite3): compiling it again from
 * source would add about a minute and test nothing of ours.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniquePrefix } from '../support/redis.js';
import { runNode } from './cli-process.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SUBPATHS = [
  'plexus',
  'plexus/fastify',
  'plexus/express',
  'plexus/server',
  'plexus/cli',
  'plexus/realtime-client',
  'plexus/apps/qr',
  'plexus/apps/attendance',
  'plexus/apps/matchmaking',
];

let project: string;
let files: string[];

beforeAll(async () => {
  project = mkdtempSync(join(tmpdir(), 'plexus-pack-'));
  const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', project], {
    cwd: ROOT,
    maxBuffer: 64 * 1024 * 1024,
  });
  const [packed] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
  files = packed!.files.map((f) => f.path);
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    devDependencies: Record<string, string>;
  };
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'user-app', private: true, type: 'module' }),
  );
  const peers = ['fastify', 'express', 'express-session'].map(
    (name) => `${name}@${pkg.devDependencies[name]}`,
  );
  await run(
    'npm',
    [
      'install',
      '--ignore-scripts',
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      `./${packed!.filename}`,
      ...peers,
    ],
    { cwd: project, maxBuffer: 64 * 1024 * 1024 },
  );
  cpSync(
    join(ROOT, 'node_modules/better-sqlite3/build'),
    join(project, 'node_modules/better-sqlite3/build'),
    {
      recursive: true,
    },
  );
}, 300_000);

afterAll(() => {
  if (project !== undefined) rmSync(project, { recursive: true, force: true });
});

describe('the packed package', () => {
  it('carries what runs and nothing else', () => {
    expect(files).toEqual(
      expect.arrayContaining(['dist/src/index.js', 'dist/src/index.d.ts', 'bin/plexus.js']),
    );
    expect(files.some((f) => f.startsWith('lua/') && f.endsWith('.lua'))).toBe(true);
    const stray = files.filter((f) => /^(test|bench|src|scripts|examples)\//.test(f) || f.endsWith('.map'));
    expect(stray).toEqual([]);
  });

  it('imports every subpath of the exports map', async () => {
    const script = `
      const names = {};
      for (const path of ${JSON.stringify(SUBPATHS)}) names[path] = Object.keys(await import(path)).sort();
      console.log(JSON.stringify(names));`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: project });
    const names = JSON.parse(stdout) as Record<string, string[]>;
    expect(names['plexus']).toEqual(
      expect.arrayContaining(['createPlexus', 'defineApp', 'Keys', 'RedisLayer']),
    );
    expect(names['plexus/fastify']).toContain('plexusFastify');
    expect(names['plexus/express']).toEqual(
      expect.arrayContaining(['PlexusSessionStore', 'plexusHealthHandler', 'plexusStatusHandler']),
    );
    expect(names['plexus/server']).toEqual(
      expect.arrayContaining(['createServer', 'buildApp', 'coreRoutes']),
    );
    expect(names['plexus/cli']).toContain('run');
    expect(names['plexus/realtime-client']).toEqual(
      expect.arrayContaining(['RealtimeClient', 'RealtimeClientError', 'backoffDelay']),
    );
    expect(names['plexus/apps/qr']).toEqual(expect.arrayContaining(['qrApp', 'QRService']));
    expect(names['plexus/apps/attendance']).toEqual(
      expect.arrayContaining(['attendanceApp', 'createAttendanceApp', 'RotatingCodes']),
    );
    expect(names['plexus/apps/matchmaking']).toEqual(
      expect.arrayContaining(['matchmakingApp', 'createMatchmakingApp', 'Matchmaking']),
    );
  });

  it('has declarations the TypeScript compiler resolves for every subpath', async () => {
    writeFileSync(
      join(project, 'check.ts'),
      `import { createPlexus } from 'plexus';
       import { plexusFastify } from 'plexus/fastify';
       import { PlexusSessionStore } from 'plexus/express';
       import { createServer } from 'plexus/server';
       import { run } from 'plexus/cli';
       import { qrApp } from 'plexus/apps/qr';
       import { RealtimeClient } from 'plexus/realtime-client';
       const plexus = createPlexus({ apps: [qrApp] });
       const qr = plexus.apps.qr; // typed: QRService
       export const used = [plexusFastify, PlexusSessionStore, createServer, run, qr.config.imageSize, RealtimeClient];`,
    );
    const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
    const flags = ['--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext'];
    await run(process.execPath, [tsc, ...flags, '--target', 'es2022', '--skipLibCheck', 'check.ts'], {
      cwd: project,
    });
  });

  it('runs the plexus bin', async () => {
    const { stdout } = await run(process.execPath, ['node_modules/plexus/bin/plexus.js', '--help'], {
      cwd: project,
    });
    expect(stdout).toMatch(/start/);
    expect(stdout).toMatch(/import/); // the QR app's command, from the bundled catalogue
  });

  it('starts the Fastify example from the installed copy', async () => {
    cpSync(join(ROOT, 'examples/fastify/server.mjs'), join(project, 'server.mjs'));
    const example = runNode(['server.mjs'], {
      cwd: project,
      env: {
        PORT: '0',
        DATABASE_URL: 'sqlite::memory:',
        REDIS_URL: 'redis://127.0.0.1:6379',
        REDIS_KEY_PREFIX: uniquePrefix('pack'),
      },
    });
    try {
      const line = await example.waitFor(/example listening on http:\/\/\S+/, 30_000);
      const url = /http:\/\/\S+/.exec(line)![0];
      expect(await (await fetch(`${url}/hello`)).json()).toEqual({ hello: 'world' });
      const status = (await (await fetch(`${url}/api/1/status`)).json()) as { redis: { state: string } };
      expect(status.redis.state).toBe('ready');
    } finally {
      example.child.kill('SIGTERM');
      await example.exited;
    }
  });
});
