/**
 * The chaos suite's short mode (bench/chaos/run.ts --short) in CI: `plexus start --workers 2` (the
 * built bin/plexus.js: run `npm run build` after changing src/) on a single Redis of its own under
 * mixed load, Redis paused and killed and restarted empty once each, a worker SIGKILLed, logout-all
 * tried across outages in both reconnection orders; the figures the suite reports must be zeros.
 *
 * Timing bounds: the figures (back to ready within 250 ms, no answer over 1 s) are shown
 * by the benchmark run on a quiet machine (docs/reliability.md). Here the run shares two cores
 * with the rest of the suite, so the test keeps generous bounds (1 s back to ready, no answer over
 * 3 s) that still fail on a return that waits for a reconnect back-off or a hung request.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';

const ROOT = new URL('../..', import.meta.url).pathname;
const READY_MS = 1000;
const SLOW_MS = 3000;

it('short chaos run: no 5xx, no answer over 3 s, back to ready within 1 s, no session lost, no logout-all hole', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'plexus-chaos-test-'));
  const json = join(dir, 'chaos.json');
  try {
    const output: string[] = [];
    const code = await new Promise<number | null>((resolve) => {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', join(ROOT, 'bench/chaos/run.ts'), '--short', '--no-build'],
        {
          cwd: ROOT,
          env: {
            ...process.env,
            CHAOS_JSON: json,
            CHAOS_READY_MS: String(READY_MS),
            CHAOS_SLOW_MS: String(SLOW_MS),
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      child.stdout.on('data', (c: Buffer) => output.push(c.toString()));
      child.stderr.on('data', (c: Buffer) => output.push(c.toString()));
      child.on('exit', resolve);
    });
    // On failure the message carries the suite's table and its PASS/FAIL lines (which bound failed).
    expect(code, output.join('').slice(-6000)).toBe(0);
    const { summary } = JSON.parse(readFileSync(json, 'utf8')) as { summary: Record<string, number> };
    expect(summary).toMatchObject({
      status5xx: 0,
      me503: 0,
      slow: 0,
      timeouts: 0,
      sessionsLost: 0,
      holes: 0,
    });
    expect(summary['readySamples']).toBeGreaterThanOrEqual(4);
    expect(summary['worstReadyMs']).toBeLessThanOrEqual(READY_MS);
    expect(summary['holeTries']).toBeGreaterThanOrEqual(4);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);
