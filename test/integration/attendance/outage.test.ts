/**
 * Redis killed (SIGKILL, this file's own redis-server) in the middle of a roll call on two
 * instances: every check-in acknowledged before, during and after the kill is in the database,
 * every student ends up checked in exactly once (a client retries a failed request, as the page
 * does), and the instances keep answering check-ins while Redis is gone: sessions come from the
 * durable archive, device owners and roll calls from the database through the cache's loader.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type RedisSingleHandle, startSingle } from '../../support/topology.js';
import { type Running, startServer } from '../server/harness.js';
import { attendanceOf, baseEnv, call, cookieFor, importStudents, openRollCall } from './support.js';

const STUDENTS = Array.from({ length: 300 }, (_, i) => `r${i}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let redis: RedisSingleHandle;
let dir: string;
let a: Running;
let b: Running;
const cookies = new Map<string, string>();

beforeAll(async () => {
  redis = await startSingle();
  dir = mkdtempSync(join(tmpdir(), 'plexus-att-outage-'));
  const env = baseEnv(
    { PLEXUS_DATA_DIR: dir },
    {
      REDIS_URL: redis.url,
      SESSION_DURABLE: 'true',
      SESSION_DURABLE_FLUSH_MS: '100',
      REDIS_COMMAND_TIMEOUT_MS: '300',
      REDIS_BREAKER_RESET_MS: '300',
      REDIS_HEALTH_INTERVAL_MS: '200',
    },
  );
  a = await startServer({ env });
  b = await startServer({ env });
  await importStudents(a, STUDENTS);
  for (const id of STUDENTS) cookies.set(id, await cookieFor(a, id, ['student']));
  // The durable archive has every session before Redis goes.
  await sleep(1_000);
}, 120_000);

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await redis?.stop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

it('loses no check-in when Redis is killed during a roll call', async () => {
  const sessionId = await openRollCall(a.url);
  const codes = attendanceOf(a).rollCalls.codes;
  const acknowledged = new Set<string>();
  const failuresWhileDown: string[] = [];
  let killed = false;
  let next = 0;
  const student = async (id: string) => {
    const device = `plexus_device=${randomBytes(16).toString('base64url')}`;
    for (let attempt = 0; attempt < 20; attempt++) {
      const on = (next++ % 2 === 0 ? a : b).url;
      try {
        const answer = await call(on, 'POST', '/checkins', {
          cookie: `${cookies.get(id)}; ${device}`,
          body: { code: codes.issue(sessionId) },
        });
        if (answer.status === 200) {
          acknowledged.add(id);
          return;
        }
        if (killed) failuresWhileDown.push(answer.text);
      } catch (error) {
        if (killed) failuresWhileDown.push(String(error));
      }
      await sleep(100);
    }
  };
  const first = STUDENTS.slice(0, 100);
  const rest = STUDENTS.slice(100);
  await Promise.all(first.map(student));
  const during = Promise.all(rest.map((id, i) => sleep(i * 5).then(() => student(id))));
  await sleep(200);
  await redis.node.kill();
  killed = true;
  await during;
  expect(acknowledged.size).toBe(STUDENTS.length);
  const rows = await attendanceOf(b).rollCalls.checkins(sessionId, 500);
  expect(rows.items.map((r) => r.studentId).sort()).toEqual([...STUDENTS].sort());
  // Nothing was refused for lack of Redis once the instances knew it was gone; report the rest.
  expect(failuresWhileDown.length, failuresWhileDown.slice(0, 3).join('\n')).toBeLessThan(rest.length / 10);
  expect(a.plexus.redis.state).toBe('degraded');
}, 120_000);
