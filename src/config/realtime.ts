/** Settings of the realtime hub (src/realtime/): defaults every endpoint starts from, and the hub's own. */
import { duration, loadSection, option, parse, type SectionOf } from './option.js';

export const realtimeOptions = {
  historySize: option({
    env: 'REALTIME_HISTORY_SIZE',
    default: 100,
    doc: 'Messages kept per stream (broadcast, user, room) for recovery by offset; 0 turns history off for endpoints that do not set their own.',
    parse: parse.integer(0, 100_000),
  }),
  historyTtlSeconds: duration({
    env: 'REALTIME_HISTORY_TTL_SECONDS',
    default: 300,
    unit: 's',
    min: 1,
    max: 7 * 24 * 3600,
    doc: "How long a stream's history and offset live after its last message; a stream idle for longer starts a new epoch (clients resync).",
  }),
  maxBytes: option({
    env: 'REALTIME_MAX_BYTES',
    default: 64 * 1024,
    doc: 'Largest frame, in bytes, a client may send (and a payload a publish may carry) unless the endpoint sets its own; larger frames close the connection with 1009.',
    parse: parse.integer(128, 16 * 1024 * 1024),
  }),
  ratePerSecond: option({
    env: 'REALTIME_RATE_PER_SECOND',
    default: 100,
    doc: 'Frames per second a connection may send unless the endpoint sets its own; more closes it with 4008.',
    parse: parse.integer(1, 1_000_000),
  }),
  sendBufferBytes: option({
    env: 'REALTIME_SEND_BUFFER_BYTES',
    default: 4 * 1024 * 1024,
    doc: 'Bytes a connection may have queued for sending; a slower consumer is closed with 4009 so memory stays bounded.',
    parse: parse.integer(1024, 1024 * 1024 * 1024),
  }),
  heartbeatMs: duration({
    env: 'REALTIME_HEARTBEAT_MS',
    default: 25_000,
    unit: 'ms',
    min: 100,
    max: 600_000,
    doc: 'Every this long each connection is pinged; one that has not answered (pong or any frame) since the previous ping is closed with 4010.',
  }),
  presenceTtlMs: duration({
    env: 'REALTIME_PRESENCE_TTL_MS',
    default: 30_000,
    unit: 'ms',
    min: 300,
    max: 3_600_000,
    doc: "How long an instance's presence entries live without a refresh (refreshed every third of it): the users of an instance that died leave presence at most this long after.",
  }),
  tokenTtlSeconds: duration({
    env: 'REALTIME_TOKEN_TTL_SECONDS',
    default: 60,
    unit: 's',
    min: 1,
    max: 3600,
    doc: 'Lifetime of a connection token from POST /api/1/ws/:endpoint/token.',
  }),
  channels: option({
    env: 'REALTIME_CHANNELS',
    default: 'auto' as 'auto' | 'endpoint' | 'stream',
    doc: 'Pub/sub layout: `stream` (one channel per broadcast/user/room stream, subscribed only where an instance has members), `endpoint` (one channel per endpoint, filtered in process; single node only), `auto` (stream on Cluster, endpoint otherwise; see docs/realtime.md).',
    parse: parse.oneOf(['auto', 'endpoint', 'stream'] as const),
  }),
  defaultEndpoint: option({
    env: 'REALTIME_DEFAULT_ENDPOINT',
    default: 'jpulse-ws-status',
    doc: "Endpoint the seed's aliases `POST /api/1/broadcast` and `POST /api/1/message/:userId` publish on.",
    parse: parse.string(),
  }),
  endpointsPollMs: duration({
    env: 'REALTIME_ENDPOINTS_POLL_MS',
    default: 5000,
    unit: 'ms',
    min: 100,
    max: 600_000,
    doc: 'How often each instance rereads the runtime endpoints from the database, besides being told at once over the bus.',
  }),
};

export type RealtimeConfig = SectionOf<typeof realtimeOptions>;

export function loadRealtimeConfig(
  env: Record<string, string | undefined> = process.env,
  explicit: Partial<RealtimeConfig> = {},
): RealtimeConfig {
  return loadSection('realtime', realtimeOptions, env, explicit);
}
