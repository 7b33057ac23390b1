/**
 * Offsets, history and publishing of realtime streams (lua/realtime-publish.lua, -position,
 * -recover). A stream's epoch is a random string created with its meta hash; when the hash is lost
 * (expired after REALTIME_HISTORY_TTL_SECONDS idle, Redis restarted empty, a failover lost it) the
 * next call creates another epoch, and clients holding the old one are told to resync.
 */
import { randomBytes } from 'node:crypto';
import type { LayerView } from '../redis/view.js';
import type { EndpointPolicy } from './policy.js';
import { realtimePosition, realtimePublish, realtimeRecover } from './scripts.js';

export interface StreamPosition {
  epoch: string;
  offset: number;
}

export interface Recovery extends StreamPosition {
  recovered: boolean;
  /** The missed frames, oldest first (empty unless recovered). */
  frames: string[];
}

function newEpoch(): string {
  return randomBytes(4).toString('hex');
}

export class Streams {
  readonly #layer: LayerView;
  readonly #clustered: () => boolean;

  constructor(layer: LayerView, clustered: () => boolean) {
    this.#layer = layer;
    this.#clustered = clustered;
  }

  /** Numbers, records and publishes one `msg` frame (`head + offset + tail`) on `channel`. */
  async publish(
    policy: EndpointPolicy,
    stream: string,
    channel: string,
    prefix: string,
    head: string,
    tail: string,
  ): Promise<StreamPosition> {
    const { store, keys } = this.#layer;
    const reply = (await store.runScript(
      realtimePublish,
      [keys.realtime.meta(policy.name, stream), keys.realtime.history(policy.name, stream)],
      [
        newEpoch(),
        policy.historySize,
        policy.historyTtlMs,
        channel,
        this.publishCommand(),
        prefix,
        head,
        tail,
      ],
    )) as [string, number];
    const offset = Number(reply[1]);
    // The in-process twin cannot publish: do it here, in the same continuation (offset order kept).
    if (store.kind === 'memory') await store.publish(channel, `${prefix}${offset} ${head}${offset}${tail}`);
    return { epoch: String(reply[0]), offset };
  }

  async position(policy: EndpointPolicy, stream: string): Promise<StreamPosition> {
    const reply = (await this.#layer.store.runScript(
      realtimePosition,
      [this.#layer.keys.realtime.meta(policy.name, stream)],
      [newEpoch(), policy.historyTtlMs],
    )) as [string, number];
    return { epoch: String(reply[0]), offset: Number(reply[1]) };
  }

  async recover(policy: EndpointPolicy, stream: string, since: StreamPosition): Promise<Recovery> {
    const { keys } = this.#layer;
    const reply = (await this.#layer.store.runScript(
      realtimeRecover,
      [keys.realtime.meta(policy.name, stream), keys.realtime.history(policy.name, stream)],
      [since.epoch, since.offset, newEpoch(), policy.historyTtlMs],
    )) as [number, string, number, ...string[]];
    return {
      recovered: Number(reply[0]) === 1,
      epoch: String(reply[1]),
      offset: Number(reply[2]),
      frames: reply.slice(3).map(String),
    };
  }

  publishCommand(): 'PUBLISH' | 'SPUBLISH' {
    return this.#clustered() ? 'SPUBLISH' : 'PUBLISH';
  }
}
