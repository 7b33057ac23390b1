/**
 * The game-server pool of each region, in Redis under `{pool:<region>}` (keys.ts), with the
 * servers' tokens in the database (`mm_servers`, so a token can be checked without Redis).
 * Register (admin) returns a token once; heartbeats extend a deadline; `mm_pool_assign` packs
 * matches onto the busiest live server with room; `mm_pool_reap` removes servers past their
 * deadline and hands back their matches, which move to another server or fail.
 */
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Store } from '../../redis/store.js';
import type { ServerRecord } from './db/matches.js';
import { MatchmakingError } from './errors.js';
import type { MatchmakingKeys } from './keys.js';
import { mmPoolAssign, mmPoolHeartbeat, mmPoolReap, mmPoolRegister, mmPoolRelease } from './scripts.js';

export interface ServerRegistration {
  id?: string;
  address: string;
  region: string;
  capacity: number;
  modes: string[];
}

export function digestToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function tokenMatches(token: string, digest: string): boolean {
  const a = Buffer.from(digestToken(token), 'hex');
  const b = Buffer.from(digest, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

export function newServer(input: ServerRegistration, now: number): { record: ServerRecord; token: string } {
  const token = randomBytes(32).toString('base64url');
  return {
    token,
    record: {
      id: input.id ?? randomUUID(),
      region: input.region,
      address: input.address,
      capacity: input.capacity,
      modes: input.modes,
      tokenDigest: digestToken(token),
      registeredAt: now,
    },
  };
}

export class ServerPool {
  constructor(
    private readonly store: () => Store,
    private readonly keys: MatchmakingKeys,
    private readonly ttlMs: number,
  ) {}

  async register(server: ServerRecord, now: number): Promise<void> {
    const k = this.keys.pool(server.region);
    const json = JSON.stringify({ id: server.id, address: server.address, capacity: server.capacity });
    await this.store().runScript(
      mmPoolRegister,
      [k.servers, k.caps, k.modes, k.load, k.alive],
      [server.id, json, server.capacity, `,${server.modes.join(',')},`, now + this.ttlMs],
    );
  }

  /** False when the server is no longer in the pool (it must register again). */
  async heartbeat(region: string, id: string, now: number): Promise<boolean> {
    const k = this.keys.pool(region);
    return (await this.store().runScript(mmPoolHeartbeat, [k.alive], [id, now, now + this.ttlMs])) === 1;
  }

  /** A server per match id ('' where none had room), atomically for the batch. */
  async assign(region: string, mode: string, matchIds: readonly string[], now: number): Promise<string[]> {
    if (matchIds.length === 0) return [];
    const k = this.keys.pool(region);
    return (await this.store().runScript(
      mmPoolAssign,
      [k.caps, k.modes, k.load, k.alive, k.assign],
      [now, mode, ...matchIds],
    )) as string[];
  }

  async release(region: string, matchId: string): Promise<void> {
    const k = this.keys.pool(region);
    await this.store().runScript(mmPoolRelease, [k.load, k.assign], [matchId]);
  }

  /** Removes dead servers (and `named`, if given); returns them and the matches they held. */
  async reap(region: string, now: number, named = ''): Promise<{ servers: string[]; matches: string[] }> {
    const k = this.keys.pool(region);
    const reply = (await this.store().runScript(
      mmPoolReap,
      [k.servers, k.caps, k.modes, k.load, k.alive, k.assign],
      [now, named],
    )) as string[];
    const split = reply.indexOf('');
    return { servers: reply.slice(0, split), matches: reply.slice(split + 1) };
  }

  /** Live state of the region's servers: load and heartbeat deadline per id. */
  async live(region: string): Promise<Map<string, { load: number; deadline: number }>> {
    const k = this.keys.pool(region);
    const store = this.store();
    const [load, ids] = await Promise.all([
      store.hGetAll(k.load),
      store.zRangeByScore(k.alive, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY),
    ]);
    const out = new Map<string, { load: number; deadline: number }>();
    await Promise.all(
      ids.map(async (id) => {
        const deadline = await store.zScore(k.alive, id);
        out.set(id, { load: Number(load[id] ?? 0), deadline: deadline ?? 0 });
      }),
    );
    return out;
  }

  /** Checks a server's token against its stored digest. */
  static verify(server: ServerRecord | undefined, id: string, token: string | undefined): ServerRecord {
    if (server === undefined)
      throw new MatchmakingError('MM_SERVER_NOT_FOUND', `no game server ${id}`, { id });
    if (token === undefined || !tokenMatches(token, server.tokenDigest)) {
      throw new MatchmakingError('MM_SERVER_FORBIDDEN', 'the server token is missing or wrong', { id });
    }
    return server;
  }
}
