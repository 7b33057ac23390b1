/**
 * Channel names of the bus: `app:area:event`, three segments of `[A-Za-z0-9_.-]`. The `app:area`
 * pair is the *family*: every family is one pub/sub channel in Redis, and the event is matched in
 * process. A subscription pattern may use `*` and `?` in the event part only, because on Redis
 * Cluster sharded pub/sub has no pattern subscriptions and a family wildcard could not be served
 * without subscribing to every shard; the same rule applies on every topology so that code written
 * against one node keeps working on Cluster.
 */

import { globToRegExp } from '../redis/memory/glob.js';
import { BusError } from './errors.js';

const SEGMENT = /^[A-Za-z0-9_.-]{1,64}$/;
const EVENT = /^[A-Za-z0-9_.-]{1,128}$/;
const EVENT_PATTERN = /^[A-Za-z0-9_.*?-]{1,128}$/;
const WILDCARD = /[*?]/;

/** The `app` segment Plexus's own modules publish under; refused for application publishers. */
export const RESERVED_APP = 'plexus';

export interface ParsedChannel {
  app: string;
  area: string;
  event: string;
  /** `app:area`. */
  family: string;
}

export interface ParsedPattern extends ParsedChannel {
  /** Tests an event name; exact comparison when the pattern has no wildcard. */
  matches: (event: string) => boolean;
}

function split(channel: unknown): [string, string, string] {
  if (typeof channel !== 'string') {
    throw new BusError('BUS_INVALID_CHANNEL', `A channel must be a string, got ${typeof channel}`);
  }
  const parts = channel.split(':');
  if (parts.length !== 3) {
    throw new BusError(
      'BUS_INVALID_CHANNEL',
      `Channel ${JSON.stringify(channel)} must have the form app:area:event (three segments)`,
      { details: { channel } },
    );
  }
  return parts as [string, string, string];
}

function checkFamily(channel: string, app: string, area: string): void {
  if (WILDCARD.test(app) || WILDCARD.test(area)) {
    throw new BusError(
      'BUS_PATTERN_UNSUPPORTED',
      `Pattern ${JSON.stringify(channel)}: wildcards are allowed in the event part only (app:area:*)`,
      { details: { channel } },
    );
  }
  if (!SEGMENT.test(app) || !SEGMENT.test(area)) {
    throw new BusError(
      'BUS_INVALID_CHANNEL',
      `Channel ${JSON.stringify(channel)}: app and area must be 1-64 of A-Z a-z 0-9 _ . -`,
      { details: { channel } },
    );
  }
}

/** Validates a concrete channel (for publishing). */
export function parseChannel(channel: unknown): ParsedChannel {
  const [app, area, event] = split(channel);
  checkFamily(channel as string, app, area);
  if (!EVENT.test(event)) {
    throw new BusError(
      'BUS_INVALID_CHANNEL',
      `Channel ${JSON.stringify(channel)}: the event must be 1-128 of A-Z a-z 0-9 _ . - (no wildcards)`,
      { details: { channel } },
    );
  }
  return { app, area, event, family: `${app}:${area}` };
}

/** Validates a channel or an event pattern (for subscribing). */
export function parsePattern(pattern: unknown): ParsedPattern {
  const [app, area, event] = split(pattern);
  checkFamily(pattern as string, app, area);
  if (!EVENT_PATTERN.test(event)) {
    throw new BusError(
      'BUS_INVALID_CHANNEL',
      `Pattern ${JSON.stringify(pattern)}: the event must be 1-128 of A-Z a-z 0-9 _ . - * ?`,
      { details: { channel: pattern } },
    );
  }
  const regex = WILDCARD.test(event) ? globToRegExp(event) : undefined;
  return {
    app,
    area,
    event,
    family: `${app}:${area}`,
    matches: regex === undefined ? (name) => name === event : (name) => regex.test(name),
  };
}

export function isReserved(app: string): boolean {
  return app.toLowerCase() === RESERVED_APP;
}
