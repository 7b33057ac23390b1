/**
 * A session as Plexus stores it: one hash per session. Short field names keep a session small
 * (the hash is read on every authenticated request):
 *
 *   u  user id (absent: anonymous)         p  user claims, JSON (login, roles) set at login
 *   c  created at (ms)                     s  last seen at (ms)
 *   e  expires at (ms)                     t  rolling lifetime (ms)
 *   v  version, +1 on every save           x  when the user's index entry is next due (ms)
 *   a  device (User-Agent)                 ip last client address
 *   ck express-session cookie, JSON        d.<name>  one application data field, JSON
 *   g  valid from (ms): set when a logout-all kept this session; absent: the creation time
 */

export interface SessionUser {
  id: string;
  /** Claims copied at login so that reading a session needs no database query. */
  login?: string;
  roles?: string[];
}

export interface SessionRecord {
  id: string;
  user: SessionUser | null;
  data: Record<string, unknown>;
  createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
  ttlMs: number;
  version: number;
  device: string;
  ip: string;
  /** When the user's index entry must next be refreshed; 0 for anonymous sessions. */
  indexDueAt: number;
  /** The express-session cookie object, for sessions written through the Express store. */
  cookie: Record<string, unknown> | null;
  /**
   * The session is dead once its user's logout epoch passes this (epochs.ts); the creation time
   * unless a logout-all kept the session (`keepCurrent`), which moves it to that logout's epoch.
   */
  validFrom?: number;
  /** On a read that renewed the session: when it had been seen before this read. */
  previousSeenAt?: number;
}

export const DATA_PREFIX = 'd.';

/** Field names are JSON-safe strings; values must serialize (no functions, no cycles). */
export function encodeValue(value: unknown): string {
  return JSON.stringify(value === undefined ? null : value);
}

function parseJson(raw: string | undefined): unknown {
  if (raw === undefined) return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}

function toNumber(raw: string | undefined): number {
  const value = Number(raw);
  return Number.isFinite(value) ? value : 0;
}

/** Turns a flat `[field, value, ...]` array (HGETALL from a script) into a record. */
export function fieldsFromFlat(flat: readonly unknown[]): Record<string, string> {
  const fields: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) fields[String(flat[i])] = String(flat[i + 1]);
  return fields;
}

export function decodeSession(id: string, fields: Record<string, string>): SessionRecord {
  const data: Record<string, unknown> = {};
  for (const [name, raw] of Object.entries(fields)) {
    if (name.startsWith(DATA_PREFIX)) data[name.slice(DATA_PREFIX.length)] = parseJson(raw) ?? null;
  }
  const userId = fields['u'];
  const claims = parseJson(fields['p']);
  const cookie = parseJson(fields['ck']);
  return {
    id,
    user: userId === undefined ? null : { id: userId, ...(isObject(claims) ? claims : {}) },
    data,
    createdAt: toNumber(fields['c']),
    lastSeenAt: toNumber(fields['s']),
    expiresAt: toNumber(fields['e']),
    ttlMs: toNumber(fields['t']),
    version: toNumber(fields['v']),
    device: fields['a'] ?? '',
    ip: fields['ip'] ?? '',
    indexDueAt: toNumber(fields['x']),
    cookie: isObject(cookie) ? cookie : null,
    ...(fields['g'] === undefined ? {} : { validFrom: toNumber(fields['g']) }),
  };
}

/** The whole hash of a session, for restoring it elsewhere. */
export function encodeSession(record: SessionRecord): Record<string, string> {
  const fields: Record<string, string> = {
    c: String(record.createdAt),
    s: String(record.lastSeenAt),
    e: String(record.expiresAt),
    t: String(record.ttlMs),
    v: String(record.version),
    a: record.device,
    ip: record.ip,
  };
  if (record.user !== null) {
    fields['u'] = record.user.id;
    fields['p'] = encodeClaims(record.user);
    fields['x'] = String(record.indexDueAt);
  }
  if (record.cookie !== null) fields['ck'] = JSON.stringify(record.cookie);
  if (record.validFrom !== undefined) fields['g'] = String(record.validFrom);
  for (const [name, value] of Object.entries(record.data)) fields[DATA_PREFIX + name] = encodeValue(value);
  return fields;
}

/** The claims stored in `p`: everything about the user but the id, which lives in `u`. */
export function encodeClaims(user: SessionUser): string {
  const { id: _id, ...claims } = user;
  return JSON.stringify(claims);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
