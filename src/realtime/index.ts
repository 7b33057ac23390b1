/**
 * `plexus.realtime`: the hub (src/realtime/hub.ts) with its runtime endpoints (database), its
 * connection tokens and its HTTP gateway. See docs/realtime.md and docs/realtime-protocol.md.
 */
import type { Auth } from '../accounts/auth.js';
import type { Bus } from '../bus/bus.js';
import type { PlexusConfig } from '../config/index.js';
import { sessionSecrets } from '../config/sessions.js';
import type { Database } from '../db/database.js';
import type { Logger } from '../logger.js';
import type { LayerView } from '../redis/view.js';
import { RealtimeGateway } from './gateway.js';
import { Realtime } from './hub.js';
import { RuntimeEndpoints } from './runtime.js';
import { ConnectionTokens } from './tokens.js';

export interface PlexusRealtimeOptions {
  config: PlexusConfig;
  instanceId: string;
  clustered: () => boolean;
  db: Database;
  bus: Bus;
  auth: Auth;
  logger: Logger;
}

export class PlexusRealtime extends Realtime {
  /** Endpoints an admin defined at runtime (stored in the database). */
  readonly runtime: RuntimeEndpoints;
  /** Connection tokens for clients without the session cookie. */
  readonly tokens: ConnectionTokens;
  readonly #auth: Auth;
  readonly #logger: Logger;
  #unfollowSessions: (() => void) | undefined;

  constructor(layer: LayerView, options: PlexusRealtimeOptions) {
    super(layer, {
      config: options.config.realtime,
      instanceId: options.instanceId,
      clustered: options.clustered,
      logger: options.logger,
    });
    const secret = sessionSecrets(options.config.sessions, options.config.server.environment)[0]!;
    this.tokens = new ConnectionTokens(secret, options.config.realtime.tokenTtlSeconds);
    this.runtime = new RuntimeEndpoints(this, options.db, options.bus, {
      pollMs: options.config.realtime.endpointsPollMs,
      logger: options.logger,
    });
    this.#auth = options.auth;
    this.#logger = options.logger;
  }

  override async start(): Promise<void> {
    await super.start();
    await this.runtime.start();
    // A logout (here or on any instance) closes the connections of the sessions it ended with 1008.
    const sessions = this.#auth.sessions;
    this.#unfollowSessions ??= sessions.onChanged((change) => {
      this.sessionsChanged(change, async (id) => (await sessions.load(id, { touch: false })) !== null).catch(
        (error: unknown) => {
          this.#logger.warn({ err: error }, 'connections of ended sessions not checked');
        },
      );
    });
  }

  override async close(): Promise<void> {
    this.#unfollowSessions?.();
    this.#unfollowSessions = undefined;
    await this.runtime.close();
    await super.close();
  }

  /** The `upgrade` handler for a node HTTP server (the `realtime` route group attaches it). */
  gateway(draining: () => boolean = () => false): RealtimeGateway {
    return new RealtimeGateway(this, this.#auth, this.tokens, this.#logger, draining);
  }
}

export type { RealtimeUser } from './connection.js';
export { REALTIME_ERROR_STATUS, RealtimeError, type RealtimeErrorCode } from './errors.js';
export { type EndpointStats, Realtime, RealtimeEndpoint, type RealtimePublishResult } from './hub.js';
export type { Audience, ConnectRule, EndpointOptions, EndpointPolicy } from './policy.js';
export type { PresenceCounts } from './presence.js';
export { ConnectionTokens } from './tokens.js';
