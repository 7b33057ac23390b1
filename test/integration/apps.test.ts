/**
 * How applications plug in (src/application/): one definition brings settings, migrations, a key
 * namespace, routes, jobs, warm targets, health and error codes; `PLEXUS_APPS` chooses among the
 * bundled ones; and the core imports no application.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Kysely, sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { defineApp } from '../../src/application/definition.js';
import { option, parse } from '../../src/config/option.js';
import { PlexusError } from '../../src/errors.js';
import { createPlexus } from '../../src/index.js';
import { createServer } from '../../src/server/index.js';
import { uniquePrefix } from '../support/redis.js';
import { errorCode, type Running, request, startServer } from './server/harness.js';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

const events: string[] = [];
const notes = defineApp({
  name: 'notes',
  description: 'a test application',
  options: {
    greeting: option({ env: 'NOTES_GREETING', default: 'hello', doc: 'greeting', parse: parse.string() }),
  },
  migrations: [
    {
      name: 'notes-001-notes',
      up: (db: Kysely<unknown>) =>
        db.schema
          .createTable('notes_notes')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .execute(),
    },
  ],
  errors: { NOTES_NOPE: 409 },
  create({ config, keys, plexus }) {
    return {
      api: { greeting: config.greeting, key: keys.key('n', 1), plexus },
      warmTargets: [
        { name: 'notes', description: 'notes', namespace: 'notes', keys: () => [], load: async () => null },
      ],
      jobs: [{ name: 'notes:tick', every: '1h', run: async () => undefined }],
      health: async () => ({ status: 'fail', error: 'notes are tired' }),
      start: async () => {
        events.push('start notes');
      },
      close: async () => {
        events.push('close notes');
      },
    };
  },
  routes(app, _context, api) {
    app.get(
      '/api/1/notes/greeting',
      { schema: { response: { 200: { type: 'object', properties: { text: { type: 'string' } } } } } },
      async () => ({
        text: api.greeting,
      }),
    );
    app.get('/api/1/notes/nope', async () => {
      throw new PlexusError('NOTES_NOPE', 'not now');
    });
  },
});

let running: Running | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
  events.length = 0;
});

async function tables(run: Running): Promise<string[]> {
  const rows = await sql<{ name: string }>`select name from sqlite_master where type = 'table'`.execute(
    run.plexus.db.kysely,
  );
  return rows.rows.map((r) => r.name);
}

describe('PLEXUS_APPS on the reference server', () => {
  it('installs every bundled application by default', async () => {
    running = await startServer();
    expect(await tables(running)).toEqual(expect.arrayContaining(['qr_students', 'qr_stalls']));
    const response = await request(`${running.url}/api/1/qr/students/none`);
    expect([response.status, errorCode(response)]).toEqual([404, 'QR_NOT_FOUND']);
    expect(
      running.plexus.cache.warmTargets
        .list()
        .map((t) => t.name)
        .sort(),
    ).toEqual(['stalls', 'students']);
  });

  it('empty installs none: no QR tables, and /api/1/qr/* is an unknown route', async () => {
    running = await startServer({ env: { PLEXUS_APPS: '' } });
    const names = await tables(running);
    expect(names).toContain('plexus_migrations');
    expect(names.filter((n) => n.startsWith('qr_'))).toEqual([]);
    const response = await request(`${running.url}/api/1/qr/students/1.png`);
    expect([response.status, errorCode(response)]).toEqual([404, 'NOT_FOUND']);
    expect(running.plexus.cache.warmTargets.list()).toEqual([]);
    expect((await request(`${running.url}/api/1/status`)).status).toBe(200);
  });

  it('refuses an application it does not have, naming the ones there are', async () => {
    await expect(startServer({ env: { PLEXUS_APPS: 'qr,calendar' } })).rejects.toThrow(
      /no application "calendar"; available: qr, attendance/,
    );
  });

  it('refuses the attendance application without the QR application before it', async () => {
    await expect(startServer({ env: { PLEXUS_APPS: 'attendance' } })).rejects.toThrow(/needs the qr app/);
  });
});

describe('an application definition', () => {
  it('brings its settings, migrations, key namespace, routes, errors, jobs, warm targets and health', async () => {
    const plexus = createPlexus({
      env: {
        DATABASE_URL: 'sqlite::memory:',
        REDIS_URL: 'redis://127.0.0.1:6379',
        NOTES_GREETING: 'from env',
      },
      config: { redis: { keyPrefix: uniquePrefix('apps') }, notes: { greeting: 'from code' } },
      apps: [notes],
    });
    const server = createServer(plexus);
    await plexus.start();
    const url = await server.listen();
    running = { url, plexus, server, stop: () => server.stop() };

    expect(events).toEqual(['start notes']);
    expect(plexus.apps.notes.greeting).toBe('from code'); // code beats the environment
    expect(plexus.apps.notes.key).toBe(`${plexus.redis.keys.prefix}:app:notes:n:1`);
    expect(await tables(running)).toContain('notes_notes');
    expect((await request(`${url}/api/1/notes/greeting`)).body).toEqual({ text: 'from code' });
    const nope = await request(`${url}/api/1/notes/nope`);
    expect([nope.status, errorCode(nope)]).toEqual([409, 'NOTES_NOPE']);
    expect(plexus.cache.warmTargets.list().map((t) => t.name)).toEqual(['notes']);
    expect((await plexus.jobs.list()).map((j) => j.name)).toContain('notes:tick');

    const health = await request(`${url}/api/1/health`);
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({
      status: 'degraded',
      reasons: ['notes: notes are tired'],
      checks: { apps: { notes: { status: 'fail', error: 'notes are tired' } } },
    });
    await running.stop();
    running = undefined;
    expect(events).toEqual(['start notes', 'close notes']);
  });

  it('refuses bad names, duplicates, core section names and unknown sections', () => {
    const named = (name: string) => ({ ...notes, name });
    expect(() => createPlexus({ apps: [named('Notes')] })).toThrow(/must match/);
    expect(() => createPlexus({ apps: [notes, notes] })).toThrow(/listed twice/);
    expect(() => createPlexus({ apps: [named('cache')] })).toThrow(/core settings section/);
    expect(() => createPlexus({ config: { notes: { greeting: 'x' } } })).toThrow(
      /unknown configuration section/,
    );
    expect(() => createPlexus({ apps: [notes], config: { notes: { colour: 'x' } } })).toThrow(/notes.colour/);
  });
});

describe('the core', () => {
  it('imports no application', () => {
    const core = ['index.ts', 'config', 'db', 'server', 'cli', 'application', 'redis', 'cache', 'sessions'];
    const offenders: string[] = [];
    const visit = (path: string) => {
      if (statSync(path).isDirectory()) {
        for (const entry of readdirSync(path)) visit(join(path, entry));
      } else if (/from '[^']*\/apps\//.test(readFileSync(path, 'utf8'))) {
        offenders.push(path.slice(SRC.length));
      }
    };
    for (const entry of core) visit(join(SRC, entry));
    expect(offenders).toEqual([]);
  });
});
