/**
 * The switch marker of REDIS_FALLBACK_TO_SINGLE, kept on the single node itself: every instance
 * reads it there, so the single node is where they agree on which store the deployment uses.
 *
 * - `marker` (keys.redis.fallback()): present = every instance uses the single node; absent =
 *   every instance uses the Cluster. Its value says who set it, when and why (for operators).
 *   Set with NX by the first instance that saw the Cluster down past REDIS_FAILOVER_TIMEOUT_MS.
 * - `downReport` (keys.redis.fallbackDown()): refreshed, with a short expiry, by every instance on
 *   the single node that cannot use the Cluster; the marker is removed (the way back) only while
 *   no such report is present, so one instance that still cannot reach the Cluster keeps the
 *   deployment on the single node instead of making the others flap.
 *
 * Each call is bounded by the command timeout; a node that does not answer gives `unknown`, and
 * the caller then changes nothing.
 */
import { errorMessage, withTimeout } from './client-options.js';
import type { RedisArg, Topology } from './topology.js';

export type MarkerState = 'set' | 'absent' | 'unknown';

export interface MarkerKeys {
  marker: string;
  downReport: string;
}

export interface MarkerValue {
  by: string;
  at: string;
  reason: string;
}

export class FallbackMarker {
  constructor(
    private readonly single: Topology,
    private readonly keys: MarkerKeys,
    private readonly timeoutMs: number,
  ) {}

  /** Whether the marker is present; `unknown` when the single node does not answer. */
  async read(): Promise<{ state: MarkerState; value?: MarkerValue; error?: string }> {
    try {
      const reply = await this.#send(['GET', this.keys.marker], true);
      if (reply === null || reply === undefined) return { state: 'absent' };
      return { state: 'set', value: parseValue(String(reply)) };
    } catch (error) {
      return { state: 'unknown', error: errorMessage(error) };
    }
  }

  /** Sets the marker unless another instance did first; true when it is present afterwards. */
  async set(value: MarkerValue): Promise<boolean> {
    try {
      await this.#send(['SET', this.keys.marker, JSON.stringify(value), 'NX'], false);
      return (await this.read()).state === 'set';
    } catch {
      return false;
    }
  }

  /** This instance cannot use the Cluster: no way back for `ttlMs`. */
  async reportDown(by: string, ttlMs: number): Promise<void> {
    await this.#send(['SET', this.keys.downReport, by, 'PX', String(Math.ceil(ttlMs))], false).catch(
      () => {},
    );
  }

  /**
   * The way back: removes the marker unless some instance reported the Cluster down lately.
   * True when the marker is gone afterwards.
   */
  async clear(): Promise<boolean> {
    try {
      if (Number(await this.#send(['EXISTS', this.keys.downReport], true)) > 0) return false;
      await this.#send(['DEL', this.keys.marker], false);
      return true;
    } catch {
      return false;
    }
  }

  #send(args: RedisArg[], readonly: boolean): Promise<unknown> {
    const key = args[1] as string;
    return withTimeout(
      this.single.send(args, { key, readonly, buffers: false }),
      this.timeoutMs,
      String(args[0]),
    );
  }
}

function parseValue(text: string): MarkerValue {
  try {
    const parsed = JSON.parse(text) as Partial<MarkerValue>;
    return {
      by: String(parsed.by ?? '?'),
      at: String(parsed.at ?? '?'),
      reason: String(parsed.reason ?? ''),
    };
  } catch {
    // Set by hand (redis-cli SET <key> 1): still a marker.
    return { by: 'unknown', at: '?', reason: text };
  }
}
