/**
 * Single-row statements that arrive together written as one statement (group commit). A check-in
 * burst (seed 000: a hall of 1,600 students scanning the same code) is hundreds of concurrent
 * one-row `INSERT … ON CONFLICT DO NOTHING` and lookups; every statement costs a round trip and,
 * for a write, a commit (PostgreSQL) or a write transaction (SQLite).
 *
 * `Batcher`: items queued while the previous batch is still in flight (or during the current turn
 * of the event loop when none is) go out together as the next batch. When idle, an item waits one
 * turn of the loop; under load, batches grow with the load instead of the statements.
 *
 * `InsertBatch`: `INSERT … VALUES (…), (…) ON CONFLICT DO NOTHING RETURNING <key>`, and each caller
 * learns whether its own row was inserted, exactly as with its own statement:
 * - a row that collides on a unique key with an earlier row of the same batch (a double tap) is
 *   not sent with it but queued for the next batch: it then meets the earlier row in the table
 *   (`false`), or is inserted if that row failed;
 * - a row the database skipped for a conflict is absent from RETURNING and answers `false`;
 * - if the batch statement fails, its rows are written one by one, so one bad row fails alone.
 *
 * `RowBatch`: the same, when the statement answers something for each inserted row besides "inserted"
 * (the check-in statement on PostgreSQL answers whether the device is flagged).
 *
 * `ReadBatch`: one query answers every lookup of the batch.
 */

/** Batches in flight at once per batcher (the database pool serves them in parallel). */
const IN_FLIGHT = 2;

class Batcher<Item> {
  readonly #handle: (items: Item[]) => Promise<void>;
  readonly #max: number;
  #queue: Item[] = [];
  #scheduled = false;
  #inFlight = 0;

  constructor(handle: (items: Item[]) => Promise<void>, max: number) {
    this.#handle = handle;
    this.#max = max;
  }

  push(item: Item): void {
    this.#queue.push(item);
    this.#schedule();
  }

  #schedule(): void {
    if (this.#scheduled || this.#inFlight >= IN_FLIGHT || this.#queue.length === 0) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      while (this.#inFlight < IN_FLIGHT && this.#queue.length > 0) {
        const items = this.#queue.splice(0, this.#max);
        this.#inFlight++;
        void this.#handle(items).finally(() => {
          this.#inFlight--;
          this.#schedule();
        });
      }
    });
  }
}

interface Waiter<Row, Result> {
  row: Row;
  resolve(result: Result | undefined): void;
  reject(error: unknown): void;
}

export interface RowBatchOptions<Row, Result> {
  /** Each unique constraint of the table as a key of a row; the first identifies a row in the answer. */
  uniqueKeys: readonly ((row: Row) => string)[];
  /** Writes the rows (skipping conflicts) and answers, by first unique key, what became of each (absent: undefined). */
  write(rows: Row[]): Promise<Map<string, Result>>;
  /** Largest batch (statement parameters are bounded: SQLite allows 32,766). Default 500. */
  maxRows?: number;
}

/** `InsertBatch` whose statement answers more than "inserted" for a row (a computed column, the row it met). */
export class RowBatch<Row, Result> {
  readonly #options: RowBatchOptions<Row, Result>;
  readonly #batcher: Batcher<Waiter<Row, Result>>;

  constructor(options: RowBatchOptions<Row, Result>) {
    this.#options = options;
    this.#batcher = new Batcher((waiters) => this.#write(waiters), options.maxRows ?? 500);
  }

  /** Inserts the row with the next batch: what the statement answered for it (undefined when it said nothing). */
  insert(row: Row): Promise<Result | undefined> {
    return new Promise<Result | undefined>((resolve, reject) => this.#batcher.push({ row, resolve, reject }));
  }

  async #write(waiters: Waiter<Row, Result>[]): Promise<void> {
    const { uniqueKeys } = this.#options;
    const seen = uniqueKeys.map(() => new Set<string>());
    const sent: Waiter<Row, Result>[] = [];
    const later: Waiter<Row, Result>[] = [];
    for (const waiter of waiters) {
      const keys = uniqueKeys.map((key) => key(waiter.row));
      if (keys.some((k, i) => seen[i]!.has(k))) {
        later.push(waiter);
        continue;
      }
      for (const [i, k] of keys.entries()) seen[i]!.add(k);
      sent.push(waiter);
    }
    const identity = uniqueKeys[0]!;
    try {
      const inserted = await this.#options.write(sent.map((w) => w.row));
      for (const w of sent) w.resolve(inserted.get(identity(w.row)));
    } catch {
      // One by one: each caller gets its own row's outcome (and error).
      await Promise.all(
        sent.map(async (w) => {
          try {
            w.resolve((await this.#options.write([w.row])).get(identity(w.row)));
          } catch (error) {
            w.reject(error);
          }
        }),
      );
    }
    for (const w of later) this.#batcher.push(w);
  }
}

export interface InsertBatchOptions<Row> {
  /** Each unique constraint of the table as a key of a row; the first identifies a row in RETURNING. */
  uniqueKeys: readonly ((row: Row) => string)[];
  /** Inserts the rows (ON CONFLICT DO NOTHING) and resolves to the first unique key of those inserted. */
  write(rows: Row[]): Promise<string[]>;
  /** Largest batch (statement parameters are bounded: SQLite allows 32,766). Default 500. */
  maxRows?: number;
}

export class InsertBatch<Row> {
  readonly #rows: RowBatch<Row, true>;

  constructor(options: InsertBatchOptions<Row>) {
    this.#rows = new RowBatch({
      uniqueKeys: options.uniqueKeys,
      maxRows: options.maxRows,
      write: async (rows) => new Map((await options.write(rows)).map((key) => [key, true as const])),
    });
  }

  /** Inserts the row with the next batch; true if it was inserted, false on a conflict. */
  async insert(row: Row): Promise<boolean> {
    return (await this.#rows.insert(row)) === true;
  }
}

export class ReadBatch<In, Out> {
  readonly #batcher: Batcher<{ input: In; resolve(out: Out): void; reject(error: unknown): void }>;

  /** `run` answers every input of a batch, in order (at most `maxInputs` at once). */
  constructor(run: (inputs: In[]) => Promise<Out[]>, maxInputs = 500) {
    this.#batcher = new Batcher(async (part) => {
      try {
        const outs = await run(part.map((q) => q.input));
        for (const [j, q] of part.entries()) q.resolve(outs[j]!);
      } catch (error) {
        // Every caller of the batch gets the error, as each would have from its own query.
        for (const q of part) q.reject(error);
      }
    }, maxInputs);
  }

  get(input: In): Promise<Out> {
    return new Promise<Out>((resolve, reject) => this.#batcher.push({ input, resolve, reject }));
  }
}
