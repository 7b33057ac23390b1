/**
 * The wire protocol (docs/realtime-protocol.md): stream names, identifier rules, and the frames the
 * hub builds. A delivery is serialised once per message and instance: the `msg` frame's text is
 * built from the already-serialised payload around the offset, and the same Buffer goes to every
 * local recipient.
 *
 * On Redis a message is `<origin instance> <stream> <offset> <frame>`: the receiver routes it by the
 * stream and offset without parsing the JSON. Offset `0`: not recorded (no history, or Redis was
 * down), already delivered by its origin, which skips its own copy; `-`: an event (presence) not
 * recorded, delivered everywhere including the origin; otherwise the stream offset, delivered from
 * Redis everywhere so every recipient sees one stream in offset order.
 */
import { RealtimeError } from './errors.js';

/** Room ids: what fits a channel name and a JSON string without escaping. */
const ROOM_ID = /^[A-Za-z0-9_.:@-]{1,128}$/;
/** User ids: no whitespace, quotes, backslashes or control characters (they go into frames raw). */
const USER_ID = /^[^\s"\\\p{Cc}]{1,256}$/u;

export function isRoomId(room: unknown): room is string {
  return typeof room === 'string' && ROOM_ID.test(room);
}

export function isUserId(user: unknown): user is string {
  return typeof user === 'string' && USER_ID.test(user);
}

export function checkRoomId(room: string): void {
  if (!isRoomId(room)) {
    throw new RealtimeError(
      'WS_BAD_REQUEST',
      `Room id ${JSON.stringify(room)}: 1 to 128 of A-Z a-z 0-9 _ . : @ -`,
    );
  }
}

export function checkUserId(user: string): void {
  if (!isUserId(user)) {
    throw new RealtimeError(
      'WS_BAD_REQUEST',
      `User id ${JSON.stringify(user)}: 1 to 256 characters without spaces, quotes or backslashes`,
    );
  }
}

/** The server-side stream names: `broadcast`, `user:<id>`, `room:<id>`. */
export type StreamName = string;

export const roomStream = (room: string): StreamName => `room:${room}`;
export const userStream = (user: string): StreamName => `user:${user}`;

/** How the client names a stream: its own user stream is `user`. */
export function clientStreamName(stream: StreamName): string {
  return stream.startsWith('user:') ? 'user' : stream;
}

/** A `msg` frame, split around its offset: `head + offset + tail`. */
export function msgFrameParts(
  stream: StreamName,
  event: string,
  json: string,
  from: string | undefined,
): { head: string; tail: string } {
  const head = `{"t":"msg","s":${JSON.stringify(clientStreamName(stream))},"o":`;
  const tail = `,"ev":${JSON.stringify(event)},"d":${json}${from === undefined ? '' : `,"from":${JSON.stringify(from)}`}}`;
  return { head, tail };
}

/** The start of a presence frame, up to the user id (the Lua script completes it). */
export function presenceHead(room: string): string {
  return `{"t":"presence","room":"${room}","user":"`;
}

export function presenceFrame(room: string, user: string, action: 'join' | 'leave'): string {
  return `${presenceHead(room)}${user}","action":"${action}"}`;
}

export function errFrame(id: number | undefined, code: string, message: string): string {
  return JSON.stringify(id === undefined ? { t: 'err', code, message } : { t: 'err', id, code, message });
}

/** A parsed Redis message; `offset` is -1 for events (`-`). */
export interface WireMessage {
  origin: string;
  stream: StreamName;
  offset: number;
  frame: string;
}

export function parseWire(raw: string): WireMessage | undefined {
  const a = raw.indexOf(' ');
  const b = raw.indexOf(' ', a + 1);
  const c = raw.indexOf(' ', b + 1);
  if (a <= 0 || b <= a || c <= b) return undefined;
  const offsetText = raw.slice(b + 1, c);
  const offset = offsetText === '-' ? -1 : Number(offsetText);
  if (!Number.isInteger(offset)) return undefined;
  return { origin: raw.slice(0, a), stream: raw.slice(a + 1, b), offset, frame: raw.slice(c + 1) };
}

/** Close codes (docs/realtime-protocol.md). */
export const CLOSE = {
  normal: 1000,
  goingAway: 1001,
  unsupported: 1003,
  policy: 1008,
  tooBig: 1009,
  rateLimited: 4008,
  slowConsumer: 4009,
  heartbeat: 4010,
} as const;
