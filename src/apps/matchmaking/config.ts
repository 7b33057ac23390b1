/**
 * Settings of the matchmaking app (src/apps/matchmaking/), section `matchmaking` (MATCHMAKING_*):
 * the game modes and regions, the search window, ELO, the pairing job and the server pool.
 *
 * A mode is `name:teams x teamSize`, with `!` at the end when teams need not be balanced:
 * `1v1:2x1` (the default, two teams of one), `2v2:2x2`, `5v5:2x5`, `duo-ffa:4x2!`. At most 10
 * players per match, so the team split can be searched exhaustively.
 */
import { duration, option, parse, type SectionOf, splitList } from '../../config/option.js';
import { ConfigError } from '../../errors.js';

export interface ModeSpec {
  name: string;
  teams: number;
  teamSize: number;
  /** Split players so that team rating totals are as close as possible (else: first valid split). */
  balance: boolean;
}

export const MAX_MATCH_PLAYERS = 10;
export const NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,31}$/;

function parseModes(raw: unknown, setting: string): ModeSpec[] {
  const items = splitList(raw);
  if (!Array.isArray(items) || items.length === 0) throw new ConfigError(setting, 'expected name:TxS,...');
  const modes = items.map((item: unknown) => {
    if (typeof item === 'object' && item !== null) return item as ModeSpec;
    const match = typeof item === 'string' ? /^([a-z0-9][a-z0-9_-]{0,31}):(\d+)x(\d+)(!?)$/.exec(item) : null;
    if (!match)
      throw new ConfigError(setting, `expected name:TEAMSxSIZE entries, got ${JSON.stringify(item)}`);
    return {
      name: match[1]!,
      teams: Number(match[2]),
      teamSize: Number(match[3]),
      balance: match[4] !== '!',
    };
  });
  for (const mode of modes) {
    const players = mode.teams * mode.teamSize;
    if (!NAME_PATTERN.test(mode.name) || mode.teams < 2 || mode.teamSize < 1 || players > MAX_MATCH_PLAYERS) {
      throw new ConfigError(
        setting,
        `mode ${mode.name}: 2+ teams of 1+ players, ${MAX_MATCH_PLAYERS} players at most`,
      );
    }
  }
  if (new Set(modes.map((m) => m.name)).size !== modes.length)
    throw new ConfigError(setting, 'duplicate mode');
  return modes;
}

function parseRegions(raw: unknown, setting: string): string[] {
  const items = splitList(raw);
  if (!Array.isArray(items) || items.length === 0)
    throw new ConfigError(setting, 'expected a list of regions');
  return items.map((item: unknown) => {
    if (typeof item !== 'string' || !NAME_PATTERN.test(item)) {
      throw new ConfigError(
        setting,
        `region names are lower case letters, digits, - and _: ${JSON.stringify(item)}`,
      );
    }
    return item;
  });
}

export const matchmakingOptions = {
  modes: option({
    env: 'MATCHMAKING_MODES',
    default: [{ name: '1v1', teams: 2, teamSize: 1, balance: true }] as ModeSpec[],
    doc: 'Game modes, `name:TEAMSxSIZE` comma-separated (`1v1:2x1,2v2:2x2,ffa:4x1!`); a trailing `!` turns off team balancing. At most 10 players per match.',
    parse: parseModes,
  }),
  regions: option({
    env: 'MATCHMAKING_REGIONS',
    default: ['any'] as string[],
    doc: 'Regions players queue in, comma-separated; the first is the default when a join names none. One queue (and one pairing job) per mode and region.',
    parse: parseRegions,
  }),
  windowInitial: option({
    env: 'MATCHMAKING_WINDOW_INITIAL',
    default: 50,
    doc: 'Rating difference a ticket accepts as soon as it joins.',
    parse: parse.integer(0, 5000),
  }),
  windowGrowthPerSecond: option({
    env: 'MATCHMAKING_WINDOW_GROWTH',
    default: 25,
    doc: 'How much the accepted rating difference widens per second of waiting.',
    parse: parse.integer(0, 5000),
  }),
  windowMax: option({
    env: 'MATCHMAKING_WINDOW_MAX',
    default: 400,
    doc: 'The widest accepted rating difference, however long a ticket waits.',
    parse: parse.integer(0, 5000),
  }),
  initialRating: option({
    env: 'MATCHMAKING_INITIAL_RATING',
    default: 1500,
    doc: 'ELO rating of a player with no recorded match.',
    parse: parse.integer(0, 5000),
  }),
  kFactor: option({
    env: 'MATCHMAKING_K_FACTOR',
    default: 32,
    doc: 'ELO K-factor: the most a rating moves in one match.',
    parse: parse.integer(1, 400),
  }),
  pairIntervalMs: duration({
    env: 'MATCHMAKING_PAIR_INTERVAL_MS',
    default: 25,
    unit: 'ms',
    min: 10,
    max: 60_000,
    doc: 'How often the pairing job runs per mode and region (once per tick across the cluster). A joining ticket whose partner already waits is paired at join (MATCHMAKING_PAIR_ON_JOIN); the job pairs tickets whose windows widened since.',
  }),
  pairIdleMs: duration({
    env: 'MATCHMAKING_PAIR_IDLE_MS',
    default: 1000,
    unit: 'ms',
    min: 0,
    max: 60_000,
    doc: 'While a queue is empty, its pairing job looks only this often instead of every MATCHMAKING_PAIR_INTERVAL_MS (an idle instance otherwise sends Redis three scripts per tick); a join on the instance running the job wakes it at once, a join elsewhere is seen within this time. 0 (or anything not longer than the interval) never backs off.',
  }),
  pairBatch: option({
    env: 'MATCHMAKING_PAIR_BATCH',
    default: 500,
    doc: 'Most matches one pairing script makes; the job runs it again while batches come back full.',
    parse: parse.integer(1, 10_000),
  }),
  pairScan: option({
    env: 'MATCHMAKING_PAIR_SCAN',
    default: 1000,
    doc: 'Most tickets one pairing script considers as anchors: all of them, or the oldest half and the newest half of this many. Bounds how long one script holds Redis.',
    parse: parse.integer(1, 1_000_000),
  }),
  pairOnJoin: option({
    env: 'MATCHMAKING_PAIR_ON_JOIN',
    default: true,
    doc: 'Whether a join tries at once to pair the joining ticket (one mm_pair run anchored on it, atomic like the job), so the join-to-match latency does not wait for the next tick when a partner already waits.',
    parse: parse.boolean(),
  }),
  runJobs: option({
    env: 'MATCHMAKING_JOBS',
    default: true,
    doc: 'Whether this instance takes part in the pairing and server-pool jobs. Turn off on instances that only serve requests; at least one instance must run them.',
    parse: parse.boolean(),
  }),
  serverTtlMs: duration({
    env: 'MATCHMAKING_SERVER_TTL_MS',
    default: 10_000,
    unit: 'ms',
    min: 100,
    max: 3_600_000,
    doc: 'A game server that sends no heartbeat for this long leaves the pool; its unfinished matches move to another server or fail.',
  }),
  reapIntervalMs: duration({
    env: 'MATCHMAKING_REAP_INTERVAL_MS',
    default: 1000,
    unit: 'ms',
    min: 10,
    max: 600_000,
    doc: 'How often the pool job looks for servers past their TTL (once per tick across the cluster).',
  }),
  playerTtlMs: duration({
    env: 'MATCHMAKING_PLAYER_TTL_MS',
    default: 3_600_000,
    unit: 'ms',
    min: 1000,
    max: 86_400_000,
    doc: 'How long a queued or matched player record is kept in Redis without change.',
  }),
};

export type MatchmakingConfig = SectionOf<typeof matchmakingOptions>;
