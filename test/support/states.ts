/**
 * Records a layer's `state` events with their time, and waits for a given state without polling,
 * so failure tests can assert the exact sequence of changes (one event per change).
 */
import type { LayerState, RedisLayer, StateChange } from '../../src/redis/layer.js';

export interface TimedChange extends StateChange {
  at: number;
}

export class StateLog {
  readonly changes: TimedChange[] = [];

  constructor(private readonly layer: RedisLayer) {
    layer.on('state', (change) => this.changes.push({ ...change, at: performance.now() }));
  }

  /** The states entered so far, in order. */
  get states(): LayerState[] {
    return this.changes.map((c) => c.state);
  }

  /** Resolves with the change into `state` (the current one if the layer is already there). */
  reach(state: LayerState, timeoutMs = 15_000): Promise<TimedChange> {
    if (this.layer.state === state) {
      const last = this.changes.at(-1);
      return Promise.resolve(last ?? { state, previous: state, reason: '', at: performance.now() });
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.layer.off('state', onState);
        reject(new Error(`layer did not become ${state} within ${timeoutMs} ms (now ${this.layer.state})`));
      }, timeoutMs);
      const onState = (change: StateChange) => {
        if (change.state !== state) return;
        clearTimeout(timer);
        this.layer.off('state', onState);
        resolve({ ...change, at: performance.now() });
      };
      this.layer.on('state', onState);
    });
  }
}
