/**
 * What the modules built on the connection layer (cache, bus, jobs, instances, metrics, sessions)
 * need from it: the Store, the key builder, and the layer's state with its change events.
 * `RedisLayer` satisfies it; tests build several views over one shared `MemoryStore` to run many
 * "instances" in one process.
 */
import type { Keys } from './keys.js';
import type { LayerState, StateChange, TopologyChange } from './layer.js';
import type { Store } from './store.js';

export interface LayerView {
  readonly store: Store;
  readonly keys: Keys;
  readonly state: LayerState;
  on(event: 'state', listener: (change: StateChange) => void): unknown;
  on(event: 'topology', listener: (change: TopologyChange) => void): unknown;
  off(event: 'state', listener: (change: StateChange) => void): unknown;
  off(event: 'topology', listener: (change: TopologyChange) => void): unknown;
}

/**
 * Whether other instances can be reached through the Store right now. In memory mode the process
 * is alone by configuration, so the Store (a MemoryStore) is the whole cluster.
 */
export function clusterReachable(layer: Pick<LayerView, 'state'>): boolean {
  return layer.state === 'ready' || layer.state === 'memory';
}
