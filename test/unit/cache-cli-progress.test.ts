/** The CLI progress output used by `plexus warm-cache`: a bar on a terminal, plain lines elsewhere. */
import { describe, expect, it } from 'vitest';
import { duration, formatProgress, Progress } from '../../src/cli/progress.js';

function sink(isTTY: boolean) {
  const writes: string[] = [];
  return { writes, stream: { isTTY, columns: 200, write: (text: string) => writes.push(text) } };
}

describe('progress output', () => {
  it('formats a bar with percentage, counts, rate, ETA and failures', () => {
    const line = formatProgress(
      'students',
      { done: 2750, total: 11000, rate: 104.4, etaMs: 79_000, failed: 3 },
      true,
    );
    expect(line).toBe(
      `students  [██████${'░'.repeat(18)}]   25.0%  2,750/11,000  104/s  ETA 1m19s  failed 3`,
    );
    expect(formatProgress('stalls', { done: 42, total: null, rate: 10 }, false)).toBe('stalls  42  10/s');
    expect(formatProgress('x', { done: 5, total: 5, etaMs: 0 }, false)).toBe('x  100.0%  5/5');
  });

  it('redraws one line in place on a terminal, at most every 100 ms, and ends it', () => {
    const { writes, stream } = sink(true);
    const progress = new Progress({ label: 'students', stream });
    for (let done = 0; done <= 1000; done++) progress.update({ done, total: 1000 });
    expect(writes.length).toBe(1);
    expect(writes[0]).toBe(`\rstudents  [${'░'.repeat(24)}]    0.0%  0/1,000\x1b[K`);
    progress.finish({ done: 1000, total: 1000 }, 'students: warmed 1,000');
    expect(writes.at(-1)).toBe('\rstudents: warmed 1,000\x1b[K\n');
  });

  it('prints plain lines at each 10% step elsewhere, and the final line', () => {
    const { writes, stream } = sink(false);
    const progress = new Progress({ label: 'stalls', stream, plainIntervalMs: 60_000 });
    for (let done = 0; done <= 200; done++) progress.update({ done, total: 200, failed: 0 });
    progress.finish({ done: 200, total: 200, failed: 0 });
    expect(writes.every((w) => w.endsWith('\n') && !w.includes('\r') && !w.includes('█'))).toBe(true);
    expect(writes.length).toBe(12); // 0%, 10% ... 100%, and the final line
    expect(writes[4]).toBe('stalls   40.0%  80/200  failed 0\n');
  });

  it('writes durations compactly', () => {
    expect([duration(1234), duration(42_000), duration(3_725_000), duration(61_000)]).toEqual([
      '1.2s',
      '42s',
      '1h02m',
      '1m01s',
    ]);
  });
});
