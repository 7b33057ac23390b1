/**
 * Every Redis key and channel name Plexus uses is built here, and only here.
 *
 * Layout: `<prefix>:<module>:<parts...>`. The prefix is REDIS_KEY_PREFIX (default `plexus`).
 * Keys that one Lua script or transaction touches together share a `{hash tag}` so that they
 * live in one Cluster slot; the tag is chosen per family below and documented beside it.
 * Parts supplied by callers are used as-is except that `{` and `}` are escaped, so a caller's
 * key can never change which slot a family lands in.
 */

function escapePart(part: string | number): string {
  return String(part).replace(/[{}]/g, (c) => (c === '{' ? '%7B' : '%7D'));
}

export class Keys {
  readonly prefix: string;

  constructor(prefix: string) {
    this.prefix = prefix;
  }

  /** `<prefix>:<parts>`; no hash tag, the key hashes on its whole name. */
  key(...parts: (string | number)[]): string {
    return [this.prefix, ...parts.map(escapePart)].join(':');
  }

  /** `<prefix>:{<tag>}:<parts>`: every key built with the same tag lands in the same Cluster slot. */
  tagged(tag: string, ...parts: (string | number)[]): string {
    return [this.prefix, `{${escapePart(tag)}}`, ...parts.map(escapePart)].join(':');
  }

  /** Pub/sub channel names share the prefix so that several apps can share one Redis. */
  channel(...parts: (string | number)[]): string {
    return [this.prefix, 'ch', ...parts.map(escapePart)].join(':');
  }

  /** A glob that matches every key under the given parts (for SCAN), with glob characters escaped. */
  pattern(...parts: (string | number)[]): string {
    return `${this.key(...parts).replace(/[*?[\]\\]/g, (c) => `\\${c}`)}:*`;
  }

  /** Keys used by the connection layer's own tests and health probes. */
  readonly redis = {
    /** A key written by `health()` round-trips; never holds user data. */
    probe: (instanceId: string) => this.key('redis', 'probe', instanceId),
  };
}
