/**
 * The chaos suite's short mode (bench/chaos/run.ts --short) in CI: `plexus start --workers 2` (the
 * built bin/plexus.js: run `npm run build` after changing src/) on a single Redis of its own under
 * mixed load, Redis paused and killed and restarted empty once each, a worker SIGKILLed, logout-all
 * tried across outages in both reconnection orders; the figures the suite reports must be zeros
 * and the return to ready within the bound.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';

const ROOT = new URL('../..', import.meta.url).pathname;

it('short chaos run: no 5xx, no slow answers, no session lost, no logout-all hole', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'plexus-chaos-test-'));
  const json = join(dir, 'chaos.json');
  try {
    const output: string[] = [];
    const code = await new Promise<number | null>((resolve) => {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', join(ROOT, 'bench/chaos/run.ts'), '--short', '--no-build'],
        { cwd: ROOT, env: { ...process.env, CHAOS_JSON: json }, stdio: ['ignore', 'pipe', 'pipe'] },
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
      over1s: 0,
      timeouts: 0,
      sessionsLost: 0,
      holes: 0,
    });
    expect(summary['readySamples']).toBeGreaterThanOrEqual(4);
    expect(summary['worstReadyMs']).toBeLessThanOrEqual(250);
    expect(summary['holeTries']).toBeGreaterThanOrEqual(4);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);
