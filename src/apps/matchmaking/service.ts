/**
 * `Matchmaking`: the app's API (`plexus.apps.matchmaking`). Routes and jobs call it; it calls the
 * queue (Redis, or the database while Redis is down), the server pool and the match repository.
 *
 *   join → the ticket waits in its mode/region queue → the pairing job (one tick per cluster, one
 *   mm_pair script per batch) proposes matches → servers assigned (mm_pool_assign) → one INSERT
 *   creates the batch's matches → players' records say matched → players notified.
 *
 * A pairer that dies between the script and the INSERT leaves proposals in Redis; the next run
 * older than PROPOSAL_GRACE_MS finishes them (assignment and INSERT are idempotent by match id).
 */
import { randomUUID } from 'node:crypto';
import type { AppJob } from '../../application/definition.js';
import type { Database } from '../../db/database.js';
import { JOB_IDLE, type Jobs } from '../../jobs/index.js';
import type { Logger } from '../../logger.js';
import { encodeCursor } from '../../pagination/cursor.js';
import { redisUnreachable } from '../../redis/fallback.js';
import type { Keys } from '../../redis/keys.js';
import type { RedisLayer } from '../../redis/layer.js';
import type { MatchmakingConfig, ModeSpec } from './config.js';
import { type MatchRecord, MatchRepository, type RatingChange, type ServerRecord } from './db/matches.js';
import { DatabaseQueue } from './db/queue.js';
import { matchmakingDb } from './db/tables.js';
import { MatchmakingError } from './errors.js';
import { MatchmakingKeys } from './keys.js';
import type { MatchmakingEvent, Notifier } from './notifier.js';
import { type PairParams, type Ticket, ticketWindow } from './pairing.js';
import { newServer, ServerPool, type ServerRegistration } from './pool.js';
import { type Proposal, RedisQueue } from './queue-redis.js';
import { matchedRecord, type PlayerRecord, queuedRecord } from './records.js';

/** What a queued player's status is built from. */
type QueuedFields = Pick<
  Extract<PlayerRecord, { state: 'queued' }>,
  'mode' | 'region' | 'ticket' | 'joinedAt'
>;

export const RATING_RANGE = { min: 0, max: 5000 } as const;
export const MAX_PARTY = 4;
const PLAYER_ID = /^[A-Za-z0-9_.:@-]{1,128}$/;
/**
 * A proposal this old was left by a pairer that died before creating its matches, or whose run
 * failed after the script (a failover): the next run finishes it.
 */
export const PROPOSAL_GRACE_MS = 5000;
/** How often the pairing job looks for such proposals (per queue and instance). */
export const STALE_CHECK_MS = 1000;
const RECENT_WAITS = 1000;
const STALE_RECORD_MS = 30_000;
/**
 * How often the pairing job looks in the database fallback queue although nothing says it holds
 * anyone (a safety net for tickets another instance queued there during its own outage and could
 * not move back itself, e.g. it died). Otherwise the database is read only when this instance saw
 * Redis unusable, queued there, or has just started.
 */
const DB_RECHECK_MS = 10_000;
/**
 * Most matches the first pairing script of a tick makes (then MATCHMAKING_PAIR_BATCH while batches
 * come back full). An idle tick used to send 500 match ids with the script, most of an idle
 * instance's CPU with the job every 25 ms (docs/benchmarks.md, "Idle CPU of the pairing job").
 */
const FIRST_BATCH = 8;

export interface JoinInput {
  /** The players of the ticket, the one joining first; 2–4 players queue as a party. */
  players: { id: string; rating?: number }[];
  mode?: string;
  region?: string;
}

export interface MatchView {
  id: string;
  state: MatchRecord['state'];
  mode: string;
  region: string;
  players: { id: string; team: number; rating: number }[];
  server: { id: string; address: string } | null;
}

export interface QueueStatus {
  state: 'idle' | 'queued' | 'matching' | 'matched';
  mode: string | null;
  region: string | null;
  ticket: string | null;
  /** 0-based place in the queue, oldest first. */
  position: number | null;
  waitedMs: number | null;
  /** The rating difference the ticket accepts now. */
  window: number | null;
  /** Where the queue lives right now. */
  backend: 'redis' | 'database';
  match: MatchView | null;
}

export interface QueueStats {
  mode: string;
  region: string;
  queued: number;
  matchesMade: number;
  playersInMatches: number;
  avgWaitMs: number | null;
  p95WaitMs: number | null;
}

export interface MatchmakingDeps {
  config: MatchmakingConfig;
  db: Database;
  redis: RedisLayer;
  keys: Keys;
  notifier: Notifier;
  logger: Logger;
  /** Where the pairing jobs run (a join here wakes its queue's job from its idle back-off). */
  jobs?: Pick<Jobs, 'wake'>;
}

/** The pairing job of a mode and region (one per queue). */
export function pairJobName(mode: string, region: string): string {
  return `matchmaking:pair:${mode}:${region}`;
}

export class Matchmaking {
  readonly config: MatchmakingConfig;
  readonly repository: MatchRepository;
  readonly #redis: RedisLayer;
  readonly #keys: MatchmakingKeys;
  readonly #queue: RedisQueue;
  readonly #dbQueue: DatabaseQueue;
  readonly #jobs: Pick<Jobs, 'wake'> | undefined;
  readonly #pool: ServerPool;
  readonly #notifier: Notifier;
  readonly #logger: Logger;
  /** Queues (`mode\tregion`) whose database fallback may hold tickets, as far as this instance knows. */
  readonly #dbPending = new Set<string>();
  /** When each queue's database fallback was last found empty. */
  readonly #dbCheckedAt = new Map<string, number>();
  /** When this instance last looked for each queue's proposals left by a dead pairer. */
  readonly #staleCheckedAt = new Map<string, number>();
  /** +1 whenever a queue is marked pending, so a check that overlapped a mark does not clear it. */
  #dbGeneration = 0;
  readonly #onState = ({ state }: { state: string }) => {
    if (state === 'degraded') this.#markAllPending();
    // Back on Redis: move what waited in the database now, from this instance too (the pairing job
    // may run on an instance that never saw the outage).
    else if (state === 'ready' && this.#dbPending.size > 0) void this.#drainPending();
  };

  constructor(deps: MatchmakingDeps) {
    this.config = deps.config;
    this.#redis = deps.redis;
    this.#keys = new MatchmakingKeys(deps.keys);
    const store = () => deps.redis.store;
    this.#queue = new RedisQueue(store, this.#keys, deps.config.playerTtlMs);
    this.#pool = new ServerPool(store, this.#keys, deps.config.serverTtlMs);
    const db = matchmakingDb(deps.db);
    this.repository = new MatchRepository(db, deps.db.engine);
    this.#dbQueue = new DatabaseQueue(db, deps.db.engine);
    this.#notifier = deps.notifier;
    this.#logger = deps.logger;
    this.#jobs = deps.jobs;
    // Tickets may have been left in the database before this process started.
    this.#markAllPending();
  }

  /** Follows the Redis layer's state (outages mark the database fallback as possibly non-empty). */
  start(): void {
    this.#redis.on('state', this.#onState);
  }

  close(): void {
    this.#redis.off('state', this.#onState);
  }

  /** Whether the queue is in Redis (or the in-process store) rather than in the database. */
  get usingRedis(): boolean {
    return this.#redis.state === 'memory' || this.#redis.usingRedis;
  }

  /** Where queues are kept now, as statuses report it. */
  get #backend(): QueueStatus['backend'] {
    return this.usingRedis ? 'redis' : 'database';
  }

  mode(name: string | undefined): ModeSpec {
    const mode = name === undefined ? this.config.modes[0]! : this.config.modes.find((m) => m.name === name);
    if (mode === undefined) {
      throw new MatchmakingError('MM_UNKNOWN_MODE', `unknown game mode ${JSON.stringify(name)}`, {
        modes: this.config.modes.map((m) => m.name),
      });
    }
    return mode;
  }

  region(name: string | undefined): string {
    const region = name ?? this.config.regions[0]!;
    if (!this.config.regions.includes(region)) {
      throw new MatchmakingError('MM_UNKNOWN_REGION', `unknown region ${JSON.stringify(name)}`, {
        regions: this.config.regions,
      });
    }
    return region;
  }

  async join(input: JoinInput): Promise<QueueStatus> {
    const mode = this.mode(input.mode);
    const region = this.region(input.region);
    const ids = input.players.map((p) => p.id);
    if (
      ids.length === 0 ||
      ids.length > Math.min(MAX_PARTY, mode.teamSize) ||
      new Set(ids).size !== ids.length
    ) {
      throw new MatchmakingError(
        'MM_INVALID_PARTY',
        `a ticket is 1 to ${Math.min(MAX_PARTY, mode.teamSize)} distinct players in mode ${mode.name}`,
      );
    }
    for (const p of input.players) {
      if (!PLAYER_ID.test(p.id))
        throw new MatchmakingError('MM_INVALID_PARTY', `invalid player id ${JSON.stringify(p.id)}`);
      if (
        p.rating !== undefined &&
        !(Number.isInteger(p.rating) && p.rating >= RATING_RANGE.min && p.rating <= RATING_RANGE.max)
      ) {
        throw new MatchmakingError(
          'MM_INVALID_RATING',
          `rating must be a whole number from ${RATING_RANGE.min} to ${RATING_RANGE.max}`,
        );
      }
    }
    const stored = await this.repository.ratings(
      input.players.filter((p) => p.rating === undefined).map((p) => p.id),
    );
    const ticket: Ticket = {
      id: randomUUID(),
      players: input.players.map((p) => ({
        id: p.id,
        rating: p.rating ?? stored.get(p.id) ?? this.config.initialRating,
      })),
      joinedAt: Date.now(),
    };
    let outcome: Awaited<ReturnType<RedisQueue['join']>>;
    if (this.usingRedis) {
      outcome = await this.#queue.join(mode.name, region, ticket);
      if (outcome.joined && this.config.pairOnJoin) await this.#pairAtJoin(mode, region, ticket.id);
    } else {
      this.#markPending(mode.name, region);
      outcome = await this.#dbQueue.join(mode.name, region, ticket);
    }
    if (!outcome.joined) return this.status(ids[0]!, outcome.record);
    this.#jobs?.wake(pairJobName(mode.name, region));
    // The join has happened: a status read that cannot reach Redis must not turn it into an error,
    // or a client retrying it would queue a player whom pairing at join may already have matched.
    // (The record is read again: pairing at join may have matched the player already.)
    return this.status(ids[0]!).catch((error: unknown) => {
      if (!redisUnreachable(error)) throw error;
      // Queued for all this instance knows; the next status read tells more.
      const queued = { mode: mode.name, region, ticket: ticket.id, joinedAt: ticket.joinedAt };
      return { ...this.#queuedStatus(queued, null), state: 'queued' as const };
    });
  }

  async leave(playerId: string): Promise<void> {
    const record = await this.#record(playerId);
    if (record?.state !== 'queued')
      throw new MatchmakingError('MM_NOT_QUEUED', `player ${playerId} is not queued`);
    const left = this.usingRedis ? await this.#queue.leave(record) : await this.#dbQueue.leave(record);
    if (left) return;
    // The ticket is gone: being matched right now, or a record outliving lost Redis data.
    if (this.usingRedis && Date.now() - record.joinedAt > STALE_RECORD_MS) {
      const position = await this.#queue.position(record.mode, record.region, record.ticket);
      if (position === null) {
        await this.#queue.forget(playerId, record);
        return;
      }
    }
    throw new MatchmakingError('MM_NOT_QUEUED', `player ${playerId} is being matched`, { state: 'matching' });
  }

  async status(playerId: string, known?: PlayerRecord): Promise<QueueStatus> {
    const record = known ?? (await this.#record(playerId));
    const idle: QueueStatus = {
      state: 'idle',
      mode: null,
      region: null,
      ticket: null,
      position: null,
      waitedMs: null,
      window: null,
      backend: this.#backend,
      match: null,
    };
    if (record === null) return idle;
    if (record.state === 'matched') {
      const match = await this.repository.get(record.match);
      if (match === undefined) return idle;
      return {
        ...idle,
        state: 'matched',
        mode: match.mode,
        region: match.region,
        match: await this.#view(match),
      };
    }
    const position = this.usingRedis
      ? await this.#queue.position(record.mode, record.region, record.ticket)
      : await this.#dbQueue.position(record.mode, record.region, record.ticket, record.joinedAt);
    return this.#queuedStatus(record, position);
  }

  /** A queued player's status; `position` null while pairing has the ticket (or is unknown). */
  #queuedStatus(record: QueuedFields, position: number | null): QueueStatus {
    const now = Date.now();
    return {
      state: position === null ? 'matching' : 'queued',
      mode: record.mode,
      region: record.region,
      ticket: record.ticket,
      position,
      waitedMs: now - record.joinedAt,
      window: ticketWindow(
        { id: record.ticket, players: [], joinedAt: record.joinedAt },
        this.#windowParams(now),
      ),
      backend: this.#backend,
      match: null,
    };
  }

  async stats(): Promise<{ queues: QueueStats[]; playersQueued: number; playersOnline: number }> {
    const queues: QueueStats[] = [];
    for (const mode of this.config.modes) {
      for (const region of this.config.regions) queues.push(await this.#queueStats(mode.name, region));
    }
    const playersQueued = queues.reduce((s, q) => s + q.queued, 0);
    const inMatches = queues.reduce((s, q) => s + q.playersInMatches, 0);
    return { queues, playersQueued, playersOnline: playersQueued + inMatches };
  }

  /**
   * One pairing run of a mode and region (what its job does each tick): finishes proposals a dead
   * pairer left, moves tickets that waited in the database back to Redis, then pairs in batches
   * while they come back full. Returns the number of matches made. Safe to run on many instances
   * at once: the script is atomic.
   */
  async pairOnce(modeName: string, regionName: string): Promise<number> {
    return (await this.#pairRun(modeName, regionName)).made;
  }

  /**
   * The pairing job's run: `pairOnce`, or `JOB_IDLE` when it made no match and no ticket is left
   * waiting, so the job looks only every MATCHMAKING_PAIR_IDLE_MS until a join here wakes it
   * (src/jobs/runner.ts, "Idle back-off").
   */
  async pairTick(modeName: string, regionName: string): Promise<number | typeof JOB_IDLE> {
    const { made, idle } = await this.#pairRun(modeName, regionName);
    return idle ? JOB_IDLE : made;
  }

  /** `idle`: no match made and no ticket left waiting. */
  async #pairRun(modeName: string, regionName: string): Promise<{ made: number; idle: boolean }> {
    const mode = this.mode(modeName);
    const region = this.region(regionName);
    if (!this.usingRedis) return this.#pairInDatabase(mode, region);
    await this.#finishStale(mode, region);
    if (this.#redis.state !== 'memory') await this.#drainIfPending(mode.name, region);
    let made = 0;
    // The first run of a tick makes at most FIRST_BATCH matches: most ticks make none, and each
    // match needs an id sent with the script. Only a full batch says more wait: then full ones.
    let batch = Math.min(FIRST_BATCH, this.config.pairBatch);
    for (;;) {
      const params = { ...this.#pairParams(mode, Date.now()), maxMatches: batch };
      const ids = Array.from({ length: batch }, () => randomUUID());
      const { proposals, waiting } = await this.#queue.pair(mode.name, region, params, ids);
      if (proposals.length > 0) await this.#finish(mode, region, proposals);
      made += proposals.length;
      if (proposals.length < batch) return { made, idle: made === 0 && waiting === 0 };
      batch = this.config.pairBatch;
    }
  }

  /**
   * Finishes the proposals a dead pairer left (older than PROPOSAL_GRACE_MS), looking at most every
   * STALE_CHECK_MS: they wait seconds anyway, and the look is a Redis call on every tick otherwise.
   */
  async #finishStale(mode: ModeSpec, region: string): Promise<void> {
    const key = `${mode.name}\t${region}`;
    const now = Date.now();
    if (now - (this.#staleCheckedAt.get(key) ?? 0) < STALE_CHECK_MS) return;
    this.#staleCheckedAt.set(key, now);
    const stale = await this.#queue.stale(mode.name, region, now - PROPOSAL_GRACE_MS);
    if (stale.length > 0) await this.#finish(mode, region, stale);
  }

  /**
   * Pairs around the ticket that just joined (one mm_pair run anchored on it: atomic, so it races
   * safely with the job and other joins). A failure after the script leaves a proposal that the
   * job finishes after PROPOSAL_GRACE_MS; the join itself has succeeded either way.
   */
  async #pairAtJoin(mode: ModeSpec, region: string, ticketId: string): Promise<void> {
    try {
      const params = { ...this.#pairParams(mode, Date.now()), maxMatches: 1, anchor: ticketId };
      const { proposals } = await this.#queue.pair(mode.name, region, params, [randomUUID()]);
      if (proposals.length > 0) await this.#finish(mode, region, proposals);
    } catch (error) {
      this.#logger.warn(
        { err: error, ticket: ticketId },
        'matchmaking: pairing at join failed; the job will',
      );
    }
  }

  async registerServer(input: ServerRegistration): Promise<{ id: string; token: string }> {
    this.region(input.region);
    for (const m of input.modes) this.mode(m);
    const now = Date.now();
    const { record, token } = newServer(input, now);
    await this.repository.saveServer(record);
    await this.#pool.register(record, now);
    return { id: record.id, token };
  }

  async heartbeat(id: string, token: string | undefined): Promise<{ deadline: number }> {
    const server = ServerPool.verify(await this.repository.server(id), id, token);
    const now = Date.now();
    if (!(await this.#pool.heartbeat(server.region, id, now))) {
      throw new MatchmakingError('MM_SERVER_NOT_FOUND', `server ${id} left the pool; register again`, { id });
    }
    return { deadline: now + this.config.serverTtlMs };
  }

  /** Removes a server (its own token, or `admin`); its unfinished matches move or fail. */
  async removeServer(
    id: string,
    auth: { token: string | undefined } | 'admin',
  ): Promise<{ moved: number; failed: number }> {
    const found = await this.repository.server(id);
    const server = auth === 'admin' ? found : ServerPool.verify(found, id, auth.token);
    if (server === undefined)
      throw new MatchmakingError('MM_SERVER_NOT_FOUND', `no game server ${id}`, { id });
    const { matches } = await this.#pool.reap(server.region, Date.now(), id);
    await this.repository.deleteServer(id);
    return this.#rehome(server.region, matches);
  }

  async servers(
    after: string | undefined,
    limit: number,
  ): Promise<{
    servers: (Omit<ServerRecord, 'tokenDigest'> & { live: boolean; load: number })[];
    next: string | null;
  }> {
    const page = await this.repository.servers(after, limit + 1);
    const shown = page.slice(0, limit);
    const regions = [...new Set(shown.map((s) => s.region))];
    const live = new Map<string, { load: number; deadline: number }>();
    if (this.usingRedis) {
      for (const r of regions) for (const [id, v] of await this.#pool.live(r)) live.set(id, v);
    }
    const now = Date.now();
    return {
      servers: shown.map(({ tokenDigest: _digest, ...s }) => ({
        ...s,
        live: (live.get(s.id)?.deadline ?? 0) >= now,
        load: live.get(s.id)?.load ?? 0,
      })),
      next: page.length > limit ? encodeCursor(shown[shown.length - 1]!.id) : null,
    };
  }

  /** A result from the match's own server: ratings move in one transaction, the slot is freed. */
  async reportResult(
    matchId: string,
    serverId: string,
    token: string | undefined,
    winner: number | null,
  ): Promise<{ match: MatchView; ratings: RatingChange[] }> {
    ServerPool.verify(await this.repository.server(serverId), serverId, token);
    const existing = await this.repository.get(matchId);
    if (existing === undefined)
      throw new MatchmakingError('MM_MATCH_NOT_FOUND', `no match ${matchId}`, { id: matchId });
    const mode = this.mode(existing.mode);
    const { match, changes } = await this.repository.finish(
      matchId,
      serverId,
      winner,
      mode.teams,
      this.config.kFactor,
      this.config.initialRating,
    );
    if (this.usingRedis) {
      await this.#pool.release(match.region, match.id).catch((error: unknown) => {
        this.#logger.warn({ err: error, match: match.id }, 'matchmaking: server slot not released');
      });
      await this.#redis.store
        .hIncrBy(this.#keys.stats(match.mode, match.region), 'inMatches', -match.players.length)
        .catch(() => 0);
    }
    const view = await this.#view(match);
    await this.#notifyAll(match, 'match.finished', { match: view, ratings: changes });
    return { match: view, ratings: changes };
  }

  /** One pool run for a region (its job's tick): reaps dead servers, places waiting matches. */
  async reapOnce(regionName: string): Promise<{ reaped: string[]; moved: number; failed: number }> {
    const region = this.region(regionName);
    const { servers, matches } = await this.#pool.reap(region, Date.now());
    const outcome = await this.#rehome(region, matches);
    const waiting = await this.repository.waiting(region, 100);
    for (const [m, server] of await this.#assign(region, waiting)) {
      if (server === null || !(await this.repository.setServer(m.id, server, 'assigned'))) continue;
      const view = await this.#view({ ...m, state: 'assigned', serverId: server });
      await this.#notifyAll(m, 'match.server', { match: view });
    }
    return { reaped: servers, ...outcome };
  }

  /** The jobs of every mode and region, declared with the app. */
  jobs(): AppJob[] {
    if (!this.config.runJobs) return [];
    const jobs: AppJob[] = [];
    for (const region of this.config.regions) {
      for (const mode of this.config.modes) {
        jobs.push({
          name: pairJobName(mode.name, region),
          every: this.config.pairIntervalMs,
          run: () => this.pairTick(mode.name, region),
          options: {
            // A back-off no longer than a tick would change nothing.
            ...(this.config.pairIdleMs > this.config.pairIntervalMs
              ? { idleEvery: this.config.pairIdleMs }
              : {}),
            whenRedisDown: 'run-locally',
            description: `pairs ${mode.name} tickets in ${region}; while Redis is down every instance pairs from the database, where row locks keep it once per ticket`,
          },
        });
      }
      jobs.push({
        name: `matchmaking:pool:${region}`,
        every: this.config.reapIntervalMs,
        run: () => this.reapOnce(region),
        options: {
          description: `removes game servers of ${region} that stopped heartbeating and moves their matches`,
        },
      });
    }
    return jobs;
  }

  async #record(playerId: string): Promise<PlayerRecord | null> {
    if (!this.usingRedis) return this.#dbQueue.record(playerId);
    const record = await this.#queue.record(playerId);
    if (record !== null || this.#redis.state === 'memory') return record;
    // Matched (or still waiting) in the database during an outage.
    return this.#dbQueue.record(playerId);
  }

  #windowParams(now: number) {
    return {
      now,
      initial: this.config.windowInitial,
      growth: this.config.windowGrowthPerSecond,
      max: this.config.windowMax,
    };
  }

  #pairParams(mode: ModeSpec, now: number): PairParams {
    return {
      ...this.#windowParams(now),
      teams: mode.teams,
      teamSize: mode.teamSize,
      balance: mode.balance,
      maxMatches: this.config.pairBatch,
      maxAnchors: this.config.pairScan,
    };
  }

  #build(
    mode: ModeSpec,
    region: string,
    id: string,
    entries: Proposal['entries'],
    serverId: string | null,
    now: number,
  ): MatchRecord {
    return {
      id,
      mode: mode.name,
      region,
      state: serverId === null ? 'waiting' : 'assigned',
      serverId,
      players: entries.flatMap(({ team, ticket }) =>
        ticket.players.map((p) => ({
          id: p.id,
          rating: p.rating,
          team,
          ticket: ticket.id,
          joinedAt: ticket.joinedAt,
        })),
      ),
      winner: null,
      createdAt: now,
      finishedAt: null,
    };
  }

  async #finish(mode: ModeSpec, region: string, proposals: Proposal[]): Promise<void> {
    const now = Date.now();
    const ids = proposals.map((p) => p.id);
    const servers = await this.#pool.assign(region, mode.name, ids, now);
    const matches = proposals.map((p, i) =>
      this.#build(mode, region, p.id, p.entries, servers[i] || null, now),
    );
    await this.repository.create(matches);
    const updates = proposals.flatMap((p) =>
      p.entries.flatMap(({ ticket }) =>
        ticket.players.map((pl) => ({
          player: pl.id,
          from: queuedRecord(mode.name, region, ticket.id, ticket.joinedAt),
          to: matchedRecord(p.id),
        })),
      ),
    );
    await this.#queue.markMatched(updates);
    await this.#queue.settle(mode.name, region, ids);
    await this.#recordStats(mode.name, region, proposals, now);
    await this.#announce(matches);
  }

  async #recordStats(mode: string, region: string, proposals: Proposal[], now: number): Promise<void> {
    const store = this.#redis.store;
    const waits = proposals.flatMap((p) => p.entries.map((e) => String(now - e.ticket.joinedAt)));
    const players = proposals.reduce(
      (s, p) => s + p.entries.reduce((t, e) => t + e.ticket.players.length, 0),
      0,
    );
    try {
      await Promise.all([
        store.hIncrBy(this.#keys.stats(mode, region), 'matches', proposals.length),
        store.hIncrBy(this.#keys.stats(mode, region), 'inMatches', players),
        store.lPush(this.#keys.recentWaits(mode, region), waits),
      ]);
      await store.lTrim(this.#keys.recentWaits(mode, region), 0, RECENT_WAITS - 1);
    } catch (error) {
      this.#logger.debug({ err: error }, 'matchmaking: statistics not recorded');
    }
  }

  async #queueStats(mode: string, region: string): Promise<QueueStats> {
    const base = { mode, region, matchesMade: 0, playersInMatches: 0, avgWaitMs: null, p95WaitMs: null };
    if (!this.usingRedis) return { ...base, queued: await this.#dbQueue.size(mode, region) };
    const store = this.#redis.store;
    const [queued, counters, recent] = await Promise.all([
      this.#queue.size(mode, region),
      store.hGetAll(this.#keys.stats(mode, region)),
      store.lRange(this.#keys.recentWaits(mode, region), 0, RECENT_WAITS - 1),
    ]);
    const waits = recent.map(Number).sort((a, b) => a - b);
    return {
      ...base,
      queued,
      matchesMade: Number(counters.matches ?? 0),
      playersInMatches: Math.max(0, Number(counters.inMatches ?? 0)),
      avgWaitMs: waits.length === 0 ? null : Math.round(waits.reduce((s, w) => s + w, 0) / waits.length),
      p95WaitMs:
        waits.length === 0 ? null : waits[Math.min(waits.length - 1, Math.ceil(waits.length * 0.95) - 1)]!,
    };
  }

  #markPending(mode: string, region: string): void {
    this.#dbGeneration += 1;
    this.#dbPending.add(`${mode}\t${region}`);
  }

  #markAllPending(): void {
    for (const mode of this.config.modes)
      for (const region of this.config.regions) this.#markPending(mode.name, region);
  }

  async #drainPending(): Promise<void> {
    for (const key of [...this.#dbPending]) {
      const [mode, region] = key.split('\t') as [string, string];
      try {
        await this.#drainIfPending(mode, region);
      } catch (error) {
        this.#logger.warn({ err: error, mode, region }, 'matchmaking: database tickets not moved back yet');
      }
    }
  }

  /**
   * Moves the tickets that waited in the database back to Redis (keeping their join time), when
   * this instance has reason to think there are some, or at most every DB_RECHECK_MS otherwise:
   * no database query on an ordinary tick. Safe on many instances at once (rows are locked and
   * taken once; mm_join is idempotent per ticket).
   */
  async #drainIfPending(mode: string, region: string): Promise<void> {
    const key = `${mode}\t${region}`;
    const now = Date.now();
    if (!this.#dbPending.has(key) && now - (this.#dbCheckedAt.get(key) ?? 0) < DB_RECHECK_MS) return;
    if (!this.usingRedis) return;
    const generation = this.#dbGeneration;
    this.#dbCheckedAt.set(key, now);
    if (await this.#dbQueue.hasAny(mode, region)) {
      for (;;) {
        const moved = await this.#dbQueue.drain(mode, region, 1000, async (tickets) => {
          for (const t of tickets) await this.#queue.restore(mode, region, t);
        });
        if (moved < 1000 || !this.usingRedis) break;
      }
    }
    if (generation === this.#dbGeneration && this.usingRedis) this.#dbPending.delete(key);
  }

  async #pairInDatabase(mode: ModeSpec, region: string): Promise<{ made: number; idle: boolean }> {
    this.#markPending(mode.name, region);
    if (!(await this.#dbQueue.hasAny(mode.name, region))) return { made: 0, idle: true };
    const now = Date.now();
    const params = this.#pairParams(mode, now);
    const ids = Array.from({ length: params.maxMatches }, () => randomUUID());
    const matches = await this.#dbQueue.pair(mode.name, region, params, ids, (id, entries) =>
      this.#build(mode, region, id, entries, null, now),
    );
    await this.#announce(matches);
    // Whether any are left is not known without another query: not idle.
    return { made: matches.length, idle: false };
  }

  /** Moves matches of a removed server to another one of the region, or fails them. */
  async #rehome(region: string, matchIds: readonly string[]): Promise<{ moved: number; failed: number }> {
    let moved = 0;
    let failed = 0;
    const matches = (await this.repository.getMany(matchIds)).filter((m) => m.state === 'assigned');
    for (const [m, server] of await this.#assign(region, matches)) {
      if (!(await this.repository.setServer(m.id, server, server === null ? 'failed' : 'assigned'))) continue;
      if (server === null) {
        failed += 1;
        await this.#notifyAll(m, 'match.failed', {
          match: await this.#view({ ...m, state: 'failed', serverId: null }),
        });
      } else {
        moved += 1;
        await this.#notifyAll(m, 'match.server', { match: await this.#view({ ...m, serverId: server }) });
      }
    }
    return { moved, failed };
  }

  /** Places matches on the region's servers, one pool call per mode: each with its server, or null. */
  async #assign(region: string, matches: readonly MatchRecord[]): Promise<[MatchRecord, string | null][]> {
    const placed: [MatchRecord, string | null][] = [];
    for (const mode of new Set(matches.map((m) => m.mode))) {
      const batch = matches.filter((m) => m.mode === mode);
      const assigned = await this.#pool.assign(
        region,
        mode,
        batch.map((m) => m.id),
        Date.now(),
      );
      for (const [i, m] of batch.entries()) placed.push([m, assigned[i] || null]);
    }
    return placed;
  }

  async #view(match: MatchRecord): Promise<MatchView> {
    return (await this.#views([match]))[0]!;
  }

  /** Views of a batch, with one query for their servers. */
  async #views(matches: readonly MatchRecord[]): Promise<MatchView[]> {
    const ids = [...new Set(matches.flatMap((m) => (m.serverId === null ? [] : [m.serverId])))];
    const servers = await this.repository.serversById(ids);
    return matches.map((match) => {
      const server = match.serverId === null ? undefined : servers.get(match.serverId);
      return {
        id: match.id,
        state: match.state,
        mode: match.mode,
        region: match.region,
        players: match.players.map((p) => ({ id: p.id, team: p.team, rating: p.rating })),
        server: server === undefined ? null : { id: server.id, address: server.address },
      };
    });
  }

  async #announce(matches: readonly MatchRecord[]): Promise<void> {
    const views = await this.#views(matches);
    await Promise.all(matches.map((match, i) => this.#notifyAll(match, 'match.found', { match: views[i] })));
  }

  async #notifyAll(match: MatchRecord, event: MatchmakingEvent, data: unknown): Promise<void> {
    await Promise.all(
      match.players.map(async (p) => {
        try {
          await this.#notifier.notify(p.id, event, data);
        } catch (error) {
          this.#logger.warn({ err: error, player: p.id, event }, 'matchmaking: notification failed');
        }
      }),
    );
  }
}
