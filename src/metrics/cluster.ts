/**
 * How metrics reach the cluster and are read back. A batch is one script call on one key; one
 * Redis refused (REDIS_UNAVAILABLE: nothing was sent) is put back to be flushed later, one that
 * failed otherwise (a timeout: it may have been applied) is dropped rather than risk counting
 * twice, and counted as lost. Reads answer with this instance's figures when the cluster's cannot
 * be read, flagged `source: 'local'`.
 */
import { hasCode } from '../errors.js';
import type { Logger } from '../logger.js';
import { anyFailure, type FallbackOptions } from '../redis/fallback.js';
import type { Script } from '../redis/script.js';
import type { LayerView } from '../redis/view.js';

export interface Sourced {
  /** `cluster`: summed over every instance through the Store; `local`: this instance only. */
  source: 'cluster' | 'local';
  singleInstance: boolean;
}

export class Batches {
  #lost = 0;

  constructor(
    private readonly layer: LayerView,
    private readonly logger: Logger,
  ) {}

  /** Batches that may not have been applied and were dropped. */
  get lost(): number {
    return this.#lost;
  }

  /** Runs one batch; `restore` puts its contents back when Redis refused it. */
  async send(script: Script, key: string, args: (string | number)[], restore: () => void): Promise<void> {
    try {
      await this.layer.store.runScript(script, [key], args);
    } catch (error) {
      if (hasCode(error, 'REDIS_UNAVAILABLE')) {
        restore();
      } else {
        this.#lost++;
        this.logger.warn({ key, err: error }, 'metrics batch may not have been applied; dropped');
      }
    }
  }
}

/** Reports answer with this instance's figures on any failure, logged at debug level. */
export function localFallback(logger: Logger, what: string): FallbackOptions {
  return {
    when: anyFailure,
    onFallback: (error) =>
      logger.debug({ err: error }, `${what} unavailable; answering with this instance’s`),
  };
}
