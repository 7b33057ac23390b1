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

  /**
   * An application's namespace (src/application/): `<prefix>:app:<name>:<parts>`, so that an
   * application's keys can never collide with the core's or another application's. The application
   * builds its keys with the returned `Keys` (`key`, `tagged`, `channel`, `pattern`).
   */
  app(name: string): Keys {
    return new Keys(`${this.prefix}:app:${escapePart(name)}`);
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
    /**
     * REDIS_FALLBACK_TO_SINGLE, on the single node only: present while the deployment runs on the
     * single node (src/redis/topology/fallback-marker.ts), and the short-lived report of an
     * instance that cannot use the Cluster, which holds back the way back.
     */
    fallback: () => this.key('redis', 'fallback'),
    fallbackDown: () => this.key('redis', 'fallback', 'cluster-down'),
  };

  /** Broadcast bus: one channel per `app:area` family, so sharded pub/sub spreads families over shards. */
  readonly bus = {
    family: (app: string, area: string) => this.channel('bus', app, area),
  };

  /** Scheduled jobs: a job's lease, fencing counter and state share the tag `jobs:<name>` (one script). */
  readonly jobs = {
    lease: (job: string) => this.tagged(`jobs:${job}`, 'lease'),
    fence: (job: string) => this.tagged(`jobs:${job}`, 'fence'),
    state: (job: string) => this.tagged(`jobs:${job}`, 'state'),
    /** Set of every job name ever scheduled, so any instance can list the cluster's jobs. */
    index: () => this.key('jobs', 'index'),
  };

  /** Instance reports and their expiry index share `{instances}` (written together, read by one MGET). */
  readonly instances = {
    report: (id: string) => this.tagged('instances', 'report', id),
    index: () => this.tagged('instances', 'index'),
    /** An instance's Prometheus figures (src/prometheus/), read with the reports' index by one MGET. */
    exposition: (id: string) => this.tagged('instances', 'prometheus', id),
    /** Per-minute request counts, one hash per minute (epoch minute number). */
    requests: (minute: number) => this.key('metrics', 'requests', minute),
    errors: () => this.key('metrics', 'errors'),
    counters: () => this.key('metrics', 'counters'),
  };

  /**
   * Shared cache (src/cache/). Entries, tag sets and locks hash on their whole name, so they spread
   * over the Cluster; `<ns>` is a validated namespace path (`a` or `a/b`: letters, digits, `_.-/`, no
   * glob characters) and ends at the next `:`, so no user key can reach into another namespace.
   * The two statistics hashes are written by one script and share `{cache-stats}`.
   */
  readonly cache = {
    entry: (ns: string, key: string) => this.key('cache', 'e', ns, key),
    tag: (ns: string, tag: string) => this.key('cache', 't', ns, tag),
    lock: (ns: string, key: string) => this.key('cache', 'l', ns, key),
    /** Glob for SCAN over the entries and tag sets of `ns` and its children (every namespace if omitted). */
    clearPattern: (ns?: string) =>
      ns === undefined
        ? `${this.pattern('cache').slice(0, -1)}[et]:*`
        : `${this.pattern('cache').slice(0, -1)}[et]:${ns}[:/]*`,
    counters: () => this.tagged('cache-stats', 'counters'),
    instances: () => this.tagged('cache-stats', 'instances'),
    channel: () => this.channel('cache', 'invalidate'),
  };

  /** Sessions and login limits (src/sessions/). Every script touches one key: no hash tags needed. */
  readonly sessions = {
    /** One hash per session: `sess:<id>`. */
    session: (id: string) => this.key('sess', id),
    /** Glob for SCAN over every session hash. */
    allSessions: () => this.pattern('sess'),
    /** Sorted set of one user's session ids (logout-all, the session list). */
    userIndex: (userId: string) => this.key('sess-user', userId),
    /** A user's logout epoch: sessions issued before it are dead (src/sessions/epochs.ts). */
    epoch: (userId: string) => this.key('sess-epoch', userId),
    /** Tombstone of a session ended while some instance may still hold a copy to move back. */
    ended: (id: string) => this.key('sess-end', id),
    /** Fixed-window login attempt counters. */
    loginAccount: (login: string) => this.key('login-limit', 'account', login),
    loginAddress: (address: string) => this.key('login-limit', 'ip', address),
    /** Pub/sub: sessions changed or ended, so every instance drops its local copies. */
    channel: () => this.channel('sessions', 'invalidate'),
  };

  /**
   * Realtime hub (src/realtime/). A stream (`broadcast`, `user:<id>`, `room:<id>` of an endpoint)
   * keeps its offset/epoch hash, its history list and its channel under one tag `ws:<endpoint>:<stream>`,
   * so the script that numbers, records and publishes a message runs in one Cluster slot (and its
   * SPUBLISH goes to the shard that owns the stream). Presence of one scope (the endpoint, or one of
   * its rooms) shares the tag `wsp:<endpoint>:<scope>` for the same reason.
   */
  readonly realtime = {
    meta: (endpoint: string, stream: string) => this.tagged(`ws:${endpoint}:${stream}`, 'meta'),
    history: (endpoint: string, stream: string) => this.tagged(`ws:${endpoint}:${stream}`, 'hist'),
    /** `<prefix>:ch:{ws:<endpoint>:<stream>}`: the seed's `ws:{endpoint}:…` channels, one per stream. */
    streamChannel: (endpoint: string, stream: string) =>
      `${this.prefix}:ch:{${escapePart(`ws:${endpoint}:${stream}`)}}`,
    /** One channel for every stream of an endpoint (the single-node layout, see docs/realtime.md). */
    endpointChannel: (endpoint: string) => this.channel('ws', endpoint),
    /** Instances present in a scope, scored by when their entries expire. */
    presenceInstances: (endpoint: string, scope: string) => this.tagged(`wsp:${endpoint}:${scope}`, 'x'),
    /** userId → number of instances where the user has connections in the scope. */
    presenceUsers: (endpoint: string, scope: string) => this.tagged(`wsp:${endpoint}:${scope}`, 'u'),
    /** `<instance>\n<userId>` → that user's connections on that instance; `<instance>\n` → all of its. */
    presenceConnections: (endpoint: string, scope: string) => this.tagged(`wsp:${endpoint}:${scope}`, 'c'),
    /** Totals of the scope: `c` connections. */
    presenceTotals: (endpoint: string, scope: string) => this.tagged(`wsp:${endpoint}:${scope}`, 'n'),
    /** Rooms of an endpoint with members, scored by when the last instance's claim expires. */
    rooms: (endpoint: string) => this.key('wsr', endpoint),
    /** Messages in (from clients) and out (frames sent) of an endpoint, summed over the cluster. */
    stats: (endpoint: string) => this.key('wss', endpoint),
  };

  /**
   * Admin dashboard (src/dashboard/): each instance's recent figures, the seed's
   * `health:history:<instanceId>` (a sorted set of points scored by time, bounded and expiring), and
   * one hash naming every instance that wrote history lately. Each is written by its own command,
   * so no hash tag: histories spread over the Cluster.
   */
  readonly dashboard = {
    history: (instanceId: string) => this.key('health', 'history', instanceId),
    known: () => this.key('health', 'known'),
  };
}
