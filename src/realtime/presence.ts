/**
 * Presence (lua/realtime-presence.lua): per endpoint and per room, which users are connected on
 * which instances. Each instance writes only its own entries, which expire REALTIME_PRESENCE_TTL_MS
 * after its last refresh (every third of it), so a SIGKILLed instance's users leave within the TTL:
 * the next script run in that scope, by any instance or any read, sweeps them out and publishes
 * their `leave` events. Counts are kept by the scripts (HLEN, a counter): no scan.
 *
 * This process's connections are the truth: a join or leave that could not reach Redis marks the
 * scope for a full sync (its entries replaced by the local figures), done on the next heartbeat once
 * Redis is reachable, and for every scope when the layer becomes ready again. A heartbeat that finds
 * this instance's entries swept (it was cut off for longer than the TTL) syncs too.
 */
import type { Logger } from '../logger.js';
import { clusterReachable, type LayerView } from '../redis/view.js';
import type { Channels } from './channels.js';
import type { EndpointState } from './endpoint-state.js';
import { presenceFrame, presenceHead } from './protocol.js';
import { realtimePresence } from './scripts.js';
import type { Streams } from './streams.js';

/** The endpoint's own scope; rooms are `room:<id>`. */
export const ENDPOINT_SCOPE = '*';

export interface PresenceCounts {
  users: number;
  connections: number;
  instances: number;
}

type Op = 'join' | 'leave' | 'beat' | 'sync' | 'read' | 'online' | 'list';

/** One page of the users present in a scope, in byte order of their ids. */
export interface PresencePage {
  users: { id: string; instances: string[] }[];
  /** The last id of the page when more follow. */
  more: string | null;
}

export class Presence {
  readonly #layer: LayerView;
  readonly #streams: Streams;
  readonly #channels: Channels;
  readonly #instanceId: string;
  readonly #ttlMs: number;
  readonly #logger: Logger;
  /** `<endpoint>\n<scope>` of scopes whose entries must be synced from the local figures. */
  readonly #dirty = new Set<string>();

  constructor(
    layer: LayerView,
    streams: Streams,
    channels: Channels,
    options: { instanceId: string; ttlMs: number; logger: Logger },
  ) {
    this.#layer = layer;
    this.#streams = streams;
    this.#channels = channels;
    this.#instanceId = options.instanceId;
    this.#ttlMs = options.ttlMs;
    this.#logger = options.logger;
  }

  /** One connection more (`join`) or less (`leave`) in a scope; never throws. */
  change(op: 'join' | 'leave', endpoint: EndpointState, scope: string, user: string | null): void {
    if (!clusterReachable(this.#layer)) {
      this.#dirty.add(`${endpoint.name}\n${scope}`);
      return;
    }
    this.#run(endpoint, scope, op, [user ?? ''])
      .then((reply) => {
        const [changed, connections] = (reply as number[]).map(Number) as [number, number];
        // The in-process twin cannot publish: the hub does, from the reply.
        if (this.#layer.store.kind === 'memory' && user !== null && changed === 1) {
          void this.#publishEvent(endpoint, scope, user, op);
        }
        // The room's last connection in the cluster left: it no longer counts (a join racing this
        // elsewhere claims it again with its next heartbeat).
        if (op === 'leave' && connections === 0 && scope.startsWith('room:')) {
          return this.#layer.store.zRem(this.#layer.keys.realtime.rooms(endpoint.name), [scope.slice(5)]);
        }
        return undefined;
      })
      .catch((error: unknown) => {
        this.#dirty.add(`${endpoint.name}\n${scope}`);
        this.#logger.debug({ endpoint: endpoint.name, scope, err: error }, 'presence change deferred');
      });
  }

  /** Refreshes this instance's entries in every scope where it has connections; syncs dirty ones. */
  async heartbeat(endpoints: Iterable<EndpointState>, all = false): Promise<void> {
    if (!clusterReachable(this.#layer)) return;
    const work: Promise<unknown>[] = [];
    for (const endpoint of endpoints) {
      for (const scope of scopesOf(endpoint)) {
        const key = `${endpoint.name}\n${scope}`;
        if (all || this.#dirty.has(key)) {
          work.push(this.#sync(endpoint, scope, key));
          continue;
        }
        work.push(
          this.#run(endpoint, scope, 'beat', []).then((reply) => {
            if (Number((reply as number[])[0]) === 0) return this.#sync(endpoint, scope, key);
            return undefined;
          }),
        );
      }
    }
    // Scopes that emptied while Redis was unreachable: their entries must go too.
    for (const key of [...this.#dirty]) {
      const [name, scope] = key.split('\n') as [string, string];
      const endpoint = [...endpoints].find((e) => e.name === name);
      if (endpoint !== undefined && !scopesOf(endpoint).includes(scope))
        work.push(this.#sync(endpoint, scope, key));
      else if (endpoint === undefined) this.#dirty.delete(key);
    }
    const results = await Promise.allSettled(work);
    const failed = results.find((r) => r.status === 'rejected');
    if (failed !== undefined) {
      this.#logger.debug({ err: (failed as PromiseRejectedResult).reason }, 'presence heartbeat incomplete');
    }
  }

  async read(endpoint: EndpointState, scope: string): Promise<PresenceCounts> {
    const reply = (await this.#run(endpoint, scope, 'read', [])) as number[];
    return { users: Number(reply[0]), connections: Number(reply[1]), instances: Number(reply[2]) };
  }

  async online(endpoint: EndpointState, user: string): Promise<string[]> {
    return ((await this.#run(endpoint, ENDPOINT_SCOPE, 'online', [user])) as string[]).map(String);
  }

  /** Up to `limit` users of the scope whose ids sort after `after`, with their instances. */
  async list(endpoint: EndpointState, scope: string, after: string, limit: number): Promise<PresencePage> {
    const reply = (await this.#run(endpoint, scope, 'list', [after, limit])) as (string | number)[];
    const users: PresencePage['users'] = [];
    for (let i = 1; i + 1 < reply.length; i += 2) {
      const at = String(reply[i + 1]);
      users.push({ id: String(reply[i]), instances: at === '' ? [] : at.split('\n') });
    }
    const more = Number(reply[0]) === 1 && users.length > 0 ? users[users.length - 1]!.id : null;
    return { users, more };
  }

  /** Removes this instance's entries in every scope it has (graceful shutdown). */
  async removeAll(endpoints: Iterable<EndpointState>): Promise<void> {
    if (!clusterReachable(this.#layer)) return;
    const work: Promise<unknown>[] = [];
    for (const endpoint of endpoints) {
      for (const scope of scopesOf(endpoint)) work.push(this.#run(endpoint, scope, 'sync', ['0']));
    }
    await Promise.allSettled(work);
  }

  async #sync(endpoint: EndpointState, scope: string, key: string): Promise<void> {
    this.#dirty.delete(key);
    const members = scope === ENDPOINT_SCOPE ? endpoint.conns : endpoint.rooms.get(scope.slice(5));
    const users = new Map<string, number>();
    for (const conn of members ?? []) {
      if (conn.user !== null) users.set(conn.user.id, (users.get(conn.user.id) ?? 0) + 1);
    }
    const args: (string | number)[] = [members?.size ?? 0];
    for (const [user, count] of users) args.push(user, count);
    try {
      await this.#run(endpoint, scope, 'sync', args);
    } catch (error) {
      this.#dirty.add(key);
      throw error;
    }
  }

  #run(endpoint: EndpointState, scope: string, op: Op, rest: readonly (string | number)[]) {
    const keys = this.#layer.keys.realtime;
    const name = endpoint.name;
    const room = scope.startsWith('room:') ? scope.slice(5) : undefined;
    return this.#layer.store.runScript(
      realtimePresence,
      [
        keys.presenceInstances(name, scope),
        keys.presenceUsers(name, scope),
        keys.presenceConnections(name, scope),
        keys.presenceTotals(name, scope),
      ],
      [
        op,
        this.#instanceId,
        Date.now(),
        this.#ttlMs,
        room === undefined ? '' : this.#channels.channel(name, scope),
        this.#streams.publishCommand(),
        `${this.#instanceId} ${scope} - `,
        room === undefined ? '' : presenceHead(room),
        ...rest,
      ],
    );
  }

  async #publishEvent(endpoint: EndpointState, scope: string, user: string, action: 'join' | 'leave') {
    if (!scope.startsWith('room:')) return;
    const frame = presenceFrame(scope.slice(5), user, action);
    await this.#layer.store.publish(
      this.#channels.channel(endpoint.name, scope),
      `${this.#instanceId} ${scope} - ${frame}`,
    );
  }
}

/** The scopes where this instance has connections on `endpoint`. */
function scopesOf(endpoint: EndpointState): string[] {
  if (endpoint.conns.size === 0) return [];
  return [ENDPOINT_SCOPE, ...[...endpoint.rooms.keys()].map((room) => `room:${room}`)];
}
