/**
 * Records a layer's `state` events with their time, and waits for a given state without polling,
 * so failure tests can assert the exact sequence of changes (one event per change). `TestLayers`
 * opens the layers of a failure test file, each with its StateLog, and closes them after each test.
 */
import { expect } from 'vitest';
import type { RedisConfig } from '../../src/config/redis.js';
import { type LayerState, RedisLayer, type StateChange } from '../../src/redis/layer.js';

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
    return nextChangeTo(this.layer, state, timeoutMs).then((change) => ({
      ...change,
      at: performance.now(),
    }));
  }
}

/** The layer's next change into `state`; rejects after `timeoutMs` saying where the layer is. */
function nextChangeTo(layer: RedisLayer, state: LayerState, timeoutMs: number): Promise<StateChange> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      layer.off('state', onState);
      reject(
        new Error(`layer did not become ${state} within ${timeoutMs} ms: ${layer.state} (${layer.reason})`),
      );
    }, timeoutMs);
    const onState = (change: StateChange) => {
      if (change.state !== state) return;
      clearTimeout(timer);
      layer.off('state', onState);
      resolve(change);
    };
    layer.on('state', onState);
  });
}

/**
 * Resolves once the layer is `ready` (or in `memory` mode), waiting up to `timeoutMs`. A layer
 * whose first attempt timed out starts `degraded` by design and becomes ready by itself when Redis
 * answers: on a loaded machine that first attempt can miss the connect timeout, so tests that
 * need a ready layer wait for it rather than expect it the instant connect() returns.
 */
export async function untilReady(layer: RedisLayer, timeoutMs = 15_000): Promise<void> {
  if (layer.state === 'ready' || layer.state === 'memory') return;
  await nextChangeTo(layer, 'ready', timeoutMs);
}

export interface LoggedLayer {
  layer: RedisLayer;
  log: StateLog;
}

/** The layers a test file opens (each with a StateLog from before connect()); `closeAll()` in afterEach. */
export class TestLayers {
  readonly #open: RedisLayer[] = [];

  /** A layer on `config`, connected and `ready` (waited for: untilReady). */
  async connected(config: RedisConfig): Promise<LoggedLayer> {
    const { layer, log } = await this.connectTimed(config);
    await untilReady(layer);
    expect(layer.state).toBe('ready');
    return { layer, log };
  }

  /** A layer on `config` after connect(), whatever state it reached, and how long connect() took. */
  async connectTimed(config: RedisConfig): Promise<LoggedLayer & { connectMs: number }> {
    const layer = new RedisLayer(config);
    this.#open.push(layer);
    const log = new StateLog(layer);
    const started = performance.now();
    await layer.connect();
    return { layer, log, connectMs: performance.now() - started };
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.#open.splice(0).map((layer) => layer.close()));
  }
}
