/**
 * The matchmaking app's Redis keys, built from its namespace (`keys.app('matchmaking')`, so
 * `<prefix>:app:matchmaking:…`). Keys one script touches together share a hash tag:
 *
 *   {q:<mode>:<region>}:ratings | waits | tickets | proposals   one queue (mm_join, mm_leave, mm_pair)
 *   {pool:<region>}:servers | caps | modes | load | alive | assign   one region's game servers
 *   player:<id>                                                     one player's record (own slot)
 *
 * so every queue and every pool lives in one Cluster slot, and different queues spread over the
 * masters.
 */
import type { Keys } from '../../redis/keys.js';

export interface QueueKeys {
  ratings: string;
  waits: string;
  tickets: string;
  proposals: string;
}

export interface PoolKeys {
  servers: string;
  caps: string;
  modes: string;
  load: string;
  alive: string;
  assign: string;
}

export class MatchmakingKeys {
  constructor(private readonly keys: Keys) {}

  queue(mode: string, region: string): QueueKeys {
    const tag = `q:${mode}:${region}`;
    return {
      ratings: this.keys.tagged(tag, 'ratings'),
      waits: this.keys.tagged(tag, 'waits'),
      tickets: this.keys.tagged(tag, 'tickets'),
      proposals: this.keys.tagged(tag, 'proposals'),
    };
  }

  pool(region: string): PoolKeys {
    const tag = `pool:${region}`;
    return {
      servers: this.keys.tagged(tag, 'servers'),
      caps: this.keys.tagged(tag, 'caps'),
      modes: this.keys.tagged(tag, 'modes'),
      load: this.keys.tagged(tag, 'load'),
      alive: this.keys.tagged(tag, 'alive'),
      assign: this.keys.tagged(tag, 'assign'),
    };
  }

  player(id: string): string {
    return this.keys.key('player', id);
  }

  /** Counters for `stats` per mode and region (matches made, players in matches). */
  stats(mode: string, region: string): string {
    return this.keys.key('stats', mode, region);
  }

  /** The last 1,000 join-to-match waits (ms) per mode and region, newest first, for `stats`. */
  recentWaits(mode: string, region: string): string {
    return this.keys.key('recent-waits', mode, region);
  }
}
