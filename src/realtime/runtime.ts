/**
 * Runtime endpoints: defined by an admin (`PUT /api/1/admin/ws/endpoints/:name`), stored in the
 * database (table `realtime_endpoints`), known to every instance within a second: the instance that
 * writes tells the others over the bus (`plexus:realtime:endpoints`), and every instance rereads the
 * table every REALTIME_ENDPOINTS_POLL_MS in case a message was missed. An upgrade for a name this
 * instance does not know yet looks it up in the table first, so a client can connect anywhere as soon
 * as the PUT has answered.
 */
import type { Bus } from '../bus/bus.js';
import type { Database } from '../db/database.js';
import type { Logger } from '../logger.js';
import type { Unsubscribe } from '../redis/store.js';
import type { EndpointState } from './endpoint-state.js';
import { RealtimeError } from './errors.js';
import type { Realtime } from './hub.js';
import { checkEndpointName, type EndpointOptions, type EndpointPolicy } from './policy.js';

type EndpointsTable = { realtime_endpoints: { name: string; options: string; updated_at: number } };

const CHANNEL = 'plexus:realtime:endpoints';

export interface RuntimeEndpoint {
  name: string;
  options: EndpointOptions;
  updatedAt: number;
}

export class RuntimeEndpoints {
  readonly #hub: Realtime;
  readonly #db: Database;
  readonly #bus: Bus;
  readonly #logger: Logger;
  readonly #pollMs: number;
  /** Name → updated_at of the runtime endpoints installed here. */
  readonly #installed = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;
  #unsubscribe: Unsubscribe | undefined;
  #refreshing: Promise<void> | undefined;

  constructor(hub: Realtime, db: Database, bus: Bus, options: { pollMs: number; logger: Logger }) {
    this.#hub = hub;
    this.#db = db;
    this.#bus = bus;
    this.#pollMs = options.pollMs;
    this.#logger = options.logger;
    hub.resolveUnknown = (name) => this.#lookup(name);
  }

  get #table() {
    return this.#db.kysely.withTables<EndpointsTable>();
  }

  async start(): Promise<void> {
    this.#unsubscribe = await this.#bus
      .subscribe(CHANNEL, () => void this.refresh(), { omitSelf: true })
      .catch(() => undefined);
    await this.refresh();
    this.#timer = setInterval(() => void this.refresh(), this.#pollMs);
    this.#timer.unref();
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.#unsubscribe?.();
  }

  async list(): Promise<RuntimeEndpoint[]> {
    const rows = await this.#table.selectFrom('realtime_endpoints').selectAll().orderBy('name').execute();
    return rows.map(toEndpoint);
  }

  async get(name: string): Promise<RuntimeEndpoint | undefined> {
    checkEndpointName(name);
    const row = await this.#table
      .selectFrom('realtime_endpoints')
      .selectAll()
      .where('name', '=', name)
      .executeTakeFirst();
    return row === undefined ? undefined : toEndpoint(row);
  }

  /** Creates or replaces a runtime endpoint; WS_ENDPOINT_IN_CODE when the name is defined in code. */
  async put(name: string, options: EndpointOptions): Promise<EndpointPolicy> {
    checkEndpointName(name);
    const existing = this.#hub.get(name);
    if (existing?.policy.source === 'code') {
      throw new RealtimeError(
        'WS_ENDPOINT_IN_CODE',
        `Endpoint ${name} is defined in code and cannot be changed at runtime`,
      );
    }
    const updatedAt = Date.now();
    const json = JSON.stringify(options);
    await this.#table
      .insertInto('realtime_endpoints')
      .values({ name, options: json, updated_at: updatedAt })
      .onConflict((oc) => oc.column('name').doUpdateSet({ options: json, updated_at: updatedAt }))
      .execute();
    const state = this.#hub.define(name, options, 'runtime');
    this.#installed.set(name, updatedAt);
    await this.#notify();
    return state.policy;
  }

  async remove(name: string): Promise<boolean> {
    checkEndpointName(name);
    if (this.#hub.get(name)?.policy.source === 'code') {
      throw new RealtimeError(
        'WS_ENDPOINT_IN_CODE',
        `Endpoint ${name} is defined in code and cannot be removed at runtime`,
      );
    }
    const result = await this.#table
      .deleteFrom('realtime_endpoints')
      .where('name', '=', name)
      .executeTakeFirst();
    this.#installed.delete(name);
    await this.#hub.remove(name, 'runtime');
    await this.#notify();
    return Number(result.numDeletedRows) > 0;
  }

  /** Installs what the table holds and removes what it no longer does. */
  refresh(): Promise<void> {
    this.#refreshing ??= this.#refresh().finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  async #refresh(): Promise<void> {
    let rows: RuntimeEndpoint[];
    try {
      rows = await this.list();
    } catch (error) {
      this.#logger.warn({ err: error }, 'runtime endpoints could not be read');
      return;
    }
    const seen = new Set<string>();
    for (const row of rows) {
      seen.add(row.name);
      if (this.#installed.get(row.name) === row.updatedAt) continue;
      this.#install(row);
    }
    for (const name of [...this.#installed.keys()]) {
      if (seen.has(name)) continue;
      this.#installed.delete(name);
      await this.#hub.remove(name, 'runtime').catch(() => false);
    }
  }

  #install(row: RuntimeEndpoint): EndpointState | undefined {
    try {
      const state = this.#hub.define(row.name, row.options, 'runtime');
      this.#installed.set(row.name, row.updatedAt);
      return state;
    } catch (error) {
      this.#logger.warn({ endpoint: row.name, err: error }, 'runtime endpoint not installed');
      return undefined;
    }
  }

  async #lookup(name: string): Promise<EndpointState | undefined> {
    try {
      const row = await this.get(name);
      return row === undefined ? undefined : this.#install(row);
    } catch {
      return undefined;
    }
  }

  async #notify(): Promise<void> {
    await this.#bus.publishSystem(CHANNEL, {}).catch((error: unknown) => {
      this.#logger.debug({ err: error }, 'runtime endpoint change not announced; instances poll');
    });
  }
}

function toEndpoint(row: {
  name: string;
  options: string;
  updated_at: number | string | bigint;
}): RuntimeEndpoint {
  return {
    name: row.name,
    options: JSON.parse(row.options) as EndpointOptions,
    updatedAt: Number(row.updated_at),
  };
}
