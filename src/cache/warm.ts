/**
 * Warming: load many keys ahead of demand with bounded concurrency, reporting progress.
 *
 * `concurrency` workers pull keys from the source (an array, a Set, any iterable or async
 * iterable, read lazily so a database cursor of 25,000 ids is never held in memory at once) and
 * warm each one. A key already cached is skipped unless `refresh` is set. A failing key is counted
 * and recorded (the first 100) and the rest go on. Progress goes to `onProgress` at most every
 * `progressIntervalMs`, and once more at the end. An AbortSignal stops it between keys.
 */
import { ValidationError } from '../errors.js';
import { UnknownWarmTargetError } from './errors.js';
import type { WarmProgress, WarmReport, WarmTarget } from './types.js';
import { checkFunction, checkName } from './validate.js';

const MAX_FAILURES = 100;

export interface WarmRun {
  concurrency: number;
  onProgress: ((progress: WarmProgress) => void) | undefined;
  progressIntervalMs: number;
  total: number | undefined;
  signal: AbortSignal | undefined;
}

/** `warmOne` resolves true when it loaded the key, false when the key was already cached. */
export async function runWarm(
  source: Iterable<string> | AsyncIterable<string>,
  warmOne: (key: string) => Promise<boolean>,
  run: WarmRun,
): Promise<WarmReport> {
  const iterator =
    Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : source[Symbol.iterator]();
  const total = run.total ?? sizeOf(source);
  const started = performance.now();
  const counts = { done: 0, loaded: 0, skipped: 0, failed: 0 };
  const failures: WarmReport['failures'] = [];
  let exhausted = false;
  let lastReport = Number.NEGATIVE_INFINITY;

  const progress = (): WarmProgress => {
    const elapsedMs = performance.now() - started;
    const rate = elapsedMs > 0 ? (counts.done * 1000) / elapsedMs : 0;
    const etaMs = total === null ? null : rate > 0 ? ((total - counts.done) * 1000) / rate : null;
    return { ...counts, total, rate, elapsedMs, etaMs: etaMs === null ? null : Math.max(0, etaMs) };
  };
  const report = (force: boolean) => {
    const now = performance.now();
    if (run.onProgress === undefined || (!force && now - lastReport < run.progressIntervalMs)) return;
    lastReport = now;
    run.onProgress(progress());
  };

  const worker = async () => {
    while (!exhausted && run.signal?.aborted !== true) {
      const item = await iterator.next();
      if (item.done === true) {
        exhausted = true;
        return;
      }
      try {
        if (await warmOne(item.value)) counts.loaded++;
        else counts.skipped++;
      } catch (error) {
        counts.failed++;
        if (failures.length < MAX_FAILURES) {
          failures.push({
            key: String(item.value),
            error: error instanceof Error ? error.message : String(error),
          });
        }
      }
      counts.done++;
      report(false);
    }
  };

  report(true);
  try {
    await Promise.all(Array.from({ length: run.concurrency }, worker));
  } finally {
    if (!exhausted) await iterator.return?.();
  }
  report(true);
  return { ...progress(), failures, aborted: !exhausted };
}

function sizeOf(source: Iterable<string> | AsyncIterable<string>): number | null {
  if (Array.isArray(source)) return source.length;
  if (source instanceof Set || source instanceof Map) return source.size;
  return null;
}

/**
 * Named warm targets, registered by applications (e.g. the QR app registers `students` and
 * `stalls`) and run by `cache.warmTarget(name)` or `plexus warm-cache <name>`.
 */
export class WarmTargetRegistry {
  readonly #targets = new Map<string, WarmTarget>();

  register(target: WarmTarget): void {
    if (typeof target !== 'object' || target === null) {
      throw new ValidationError('target: expected an object', { details: { argument: 'target' } });
    }
    checkName(target.name, 'target.name');
    for (const segment of String(target.namespace).split('/')) checkName(segment, 'target.namespace');
    checkFunction(target.keys, 'target.keys');
    checkFunction(target.load, 'target.load');
    if (this.#targets.has(target.name)) {
      throw new ValidationError(`target.name: ${JSON.stringify(target.name)} is already registered`, {
        details: { argument: 'target.name' },
      });
    }
    this.#targets.set(target.name, target);
  }

  get(name: string): WarmTarget {
    const target = this.#targets.get(name);
    if (target === undefined) throw new UnknownWarmTargetError(name, this.names());
    return target;
  }

  names(): string[] {
    return [...this.#targets.keys()].sort();
  }

  list(): WarmTarget[] {
    return this.names().map((name) => this.#targets.get(name)!);
  }
}
