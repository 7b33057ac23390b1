/**
 * The frames of the realtime wire protocol v1 (docs/realtime-protocol.md), as the client sends and
 * reads them. Every frame is one JSON object in a text frame; its kind is in `t`. Unknown fields are
 * ignored, so these types list only what the client uses.
 */

/** A stream's position: offsets are comparable only within one epoch. */
export interface StreamPosition {
  epoch: string;
  offset: number;
}

export interface WelcomeFrame {
  t: 'welcome';
  conn: string;
  instance: string;
  endpoint: string;
  user: { id: string; roles: string[] } | null;
  streams: Partial<Record<'broadcast' | 'user', StreamPosition>>;
  heartbeatMs: number;
  maxBytes: number;
}

export interface MsgFrame {
  t: 'msg';
  /** `broadcast`, `user` or `room:<id>`. */
  s: string;
  /** The message's offset in its stream; 0 on endpoints without history. */
  o: number;
  ev: string;
  d: unknown;
  from?: string;
}

export interface OkFrame {
  t: 'ok';
  id: number;
  stream?: string;
  epoch?: string;
  offset?: number;
  recovered?: boolean;
}

export interface PresenceFrame {
  t: 'presence';
  room: string;
  user: string;
  action: 'join' | 'leave';
}

export interface ErrFrame {
  t: 'err';
  id?: number;
  code: string;
  message: string;
}

export interface PongFrame {
  t: 'pong';
  id: number;
}

export type ServerFrame = WelcomeFrame | MsgFrame | OkFrame | PresenceFrame | ErrFrame | PongFrame;

export type ClientFrame =
  | { t: 'join'; room: string; id: number; since?: StreamPosition }
  | { t: 'leave'; room: string; id: number }
  | { t: 'recover'; stream: string; since: StreamPosition; id: number }
  | { t: 'pub'; to: string; ev: string; d: unknown; id?: number }
  | { t: 'ping'; id: number };

/** Close codes the server uses (docs/realtime-protocol.md). */
export const CloseCode = {
  normal: 1000,
  goingAway: 1001,
  binary: 1003,
  policy: 1008,
  tooLarge: 1009,
  rateLimited: 4008,
  slowConsumer: 4009,
  heartbeatMissed: 4010,
} as const;

/** The stream a room's messages arrive on. */
export function roomStream(room: string): string {
  return `room:${room}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Parses one text frame into a server frame, or `undefined` when it is not JSON, not an object, or
 * lacks what its kind needs (the client reports it as a protocol error and goes on).
 */
export function parseServerFrame(text: string): ServerFrame | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObject(value)) return undefined;
  switch (value.t) {
    case 'welcome':
      return typeof value.conn === 'string' && isObject(value.streams)
        ? (value as unknown as WelcomeFrame)
        : undefined;
    case 'msg':
      return typeof value.s === 'string' && typeof value.o === 'number' && typeof value.ev === 'string'
        ? (value as unknown as MsgFrame)
        : undefined;
    case 'ok':
    case 'pong':
      return typeof value.id === 'number' ? (value as unknown as OkFrame | PongFrame) : undefined;
    case 'presence':
      return typeof value.room === 'string' && typeof value.user === 'string'
        ? (value as unknown as PresenceFrame)
        : undefined;
    case 'err':
      return typeof value.code === 'string' ? (value as unknown as ErrFrame) : undefined;
    default:
      return undefined;
  }
}
