/**
 * Progress output for long CLI commands (warming, imports). On a terminal: one line redrawn in
 * place at most every 100 ms — label, bar, percentage, counts, rate, ETA, failures. Elsewhere (a
 * pipe, a log file, CI): a plain line every `plainIntervalMs` and at each 10% step, so logs stay
 * readable and greppable. `finish()` always prints the final line.
 */

export interface ProgressState {
  done: number;
  /** Null when unknown: no bar, no percentage, no ETA. */
  total: number | null;
  /** Items per second. */
  rate?: number;
  etaMs?: number | null;
  failed?: number;
}

export interface ProgressOutput {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressOptions {
  label: string;
  /** @default process.stdout */
  stream?: ProgressOutput;
  /** Redraw in place; @default stream.isTTY */
  tty?: boolean;
  /** Least time between two plain lines. @default 5000 */
  plainIntervalMs?: number;
}

const REDRAW_MS = 100;
const BAR_WIDTH = 24;

export class Progress {
  readonly #label: string;
  readonly #stream: ProgressOutput;
  readonly #tty: boolean;
  readonly #plainIntervalMs: number;
  #lastDraw = Number.NEGATIVE_INFINITY;
  #lastStep = -1;
  #drawn = false;
  #finished = false;

  constructor(options: ProgressOptions) {
    this.#label = options.label;
    this.#stream = options.stream ?? process.stdout;
    this.#tty = options.tty ?? this.#stream.isTTY === true;
    this.#plainIntervalMs = options.plainIntervalMs ?? 5000;
  }

  update(state: ProgressState): void {
    if (this.#finished) return;
    const now = performance.now();
    if (this.#tty) {
      if (now - this.#lastDraw < REDRAW_MS) return;
      this.#lastDraw = now;
      this.#drawn = true;
      this.#stream.write(`\r${this.#fit(formatProgress(this.#label, state, true))}\x1b[K`);
      return;
    }
    const step = state.total ? Math.floor((state.done / state.total) * 10) : -1;
    if (now - this.#lastDraw < this.#plainIntervalMs && step === this.#lastStep) return;
    this.#lastDraw = now;
    this.#lastStep = step;
    this.#stream.write(`${formatProgress(this.#label, state, false)}\n`);
  }

  /** Prints the final state (and `summary`, if given) and ends the line. */
  finish(state: ProgressState, summary?: string): void {
    if (this.#finished) return;
    this.#finished = true;
    const line = summary ?? formatProgress(this.#label, state, this.#tty);
    this.#stream.write(this.#tty && this.#drawn ? `\r${line}\x1b[K\n` : `${line}\n`);
  }

  #fit(line: string): string {
    const columns = this.#stream.columns;
    return columns !== undefined && columns > 10 && line.length >= columns
      ? line.slice(0, columns - 1)
      : line;
  }
}

/** One progress line; with `bar`, a bar drawn with block characters. */
export function formatProgress(label: string, state: ProgressState, bar: boolean): string {
  const parts = [label];
  const { done, total } = state;
  if (total !== null && total > 0) {
    const ratio = Math.min(1, done / total);
    if (bar) {
      const filled = Math.round(ratio * BAR_WIDTH);
      parts.push(`[${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)}]`);
    }
    parts.push(`${(ratio * 100).toFixed(1).padStart(5)}%`, `${count(done)}/${count(total)}`);
  } else {
    parts.push(count(done));
  }
  if (state.rate !== undefined) parts.push(`${count(Math.round(state.rate))}/s`);
  if (state.etaMs !== undefined && state.etaMs !== null && total !== null && done < total) {
    parts.push(`ETA ${duration(state.etaMs)}`);
  }
  if (state.failed !== undefined) parts.push(`failed ${count(state.failed)}`);
  return parts.join('  ');
}

export function duration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return ms < 10_000 ? `${(ms / 1000).toFixed(1)}s` : `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}
