/**
 * What an endpoint allows: who may connect, what a client may publish and join, the size and rate
 * limits, and its history. Options are given in code (`plexus.realtime.endpoint(name, options)`) or
 * by an admin at runtime (JSON, checked against `endpointOptionsSchema`); both resolve here against
 * the `realtime` settings, which hold every default.
 */
import type { FromSchema } from 'json-schema-to-ts';
import type { RealtimeConfig } from '../config/realtime.js';
import { RealtimeError } from './errors.js';

export const AUDIENCES = ['broadcast', 'room', 'user'] as const;
export type Audience = (typeof AUDIENCES)[number];

export const endpointOptionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    connect: {
      description: '`anyone` (default), `signed-in`, or `{ "role": "<role>" }`',
      anyOf: [
        { type: 'string', enum: ['anyone', 'signed-in'] },
        {
          type: 'object',
          additionalProperties: false,
          required: ['role'],
          properties: { role: { type: 'string', minLength: 1, maxLength: 64 } },
        },
      ],
    },
    clientPublish: {
      description: 'Audiences a connected client may publish to with `pub` (default none)',
      type: 'array',
      uniqueItems: true,
      items: { type: 'string', enum: AUDIENCES },
    },
    clientJoin: { type: 'boolean', description: 'Clients may join and leave rooms (default true)' },
    publishRoles: {
      description:
        'Roles whose signed-in accounts may publish to this endpoint over REST, besides admins (default none): an application or service account given one of them publishes without admin rights',
      type: 'array',
      uniqueItems: true,
      maxItems: 32,
      items: { type: 'string', minLength: 1, maxLength: 64 },
    },
    history: {
      type: 'boolean',
      description: 'Keep history and offsets for recovery (default: REALTIME_HISTORY_SIZE > 0)',
    },
    historySize: { type: 'integer', minimum: 1, maximum: 100_000 },
    historyTtlSeconds: { type: 'integer', minimum: 1, maximum: 604_800 },
    maxBytes: { type: 'integer', minimum: 128, maximum: 16_777_216 },
    ratePerSecond: { type: 'integer', minimum: 1, maximum: 1_000_000 },
  },
} as const;

export type EndpointOptions = FromSchema<typeof endpointOptionsSchema>;
export type ConnectRule = NonNullable<EndpointOptions['connect']>;

export interface EndpointPolicy {
  readonly name: string;
  readonly source: 'code' | 'runtime';
  readonly options: EndpointOptions;
  readonly connect: ConnectRule;
  readonly clientPublish: ReadonlySet<Audience>;
  readonly clientJoin: boolean;
  /** Roles that may publish over REST besides admins. */
  readonly publishRoles: ReadonlySet<string>;
  /** Messages kept per stream; 0: no history, messages carry offset 0. */
  readonly historySize: number;
  readonly historyTtlMs: number;
  readonly maxBytes: number;
  readonly ratePerSecond: number;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export function checkEndpointName(name: string): void {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new RealtimeError(
      'WS_BAD_REQUEST',
      `Endpoint name ${JSON.stringify(name)}: 1 to 64 letters, digits, "_", "." or "-", starting with a letter or digit`,
    );
  }
}

export function resolvePolicy(
  name: string,
  options: EndpointOptions,
  config: RealtimeConfig,
  source: 'code' | 'runtime',
): EndpointPolicy {
  checkEndpointName(name);
  const connect = options.connect ?? 'anyone';
  if (typeof connect === 'object' && (typeof connect.role !== 'string' || connect.role === '')) {
    throw new RealtimeError('WS_BAD_REQUEST', `Endpoint ${name}: connect.role must be a role name`);
  }
  for (const audience of options.clientPublish ?? []) {
    if (!(AUDIENCES as readonly string[]).includes(audience)) {
      throw new RealtimeError('WS_BAD_REQUEST', `Endpoint ${name}: unknown audience ${audience}`);
    }
  }
  const history = options.history ?? config.historySize > 0;
  return {
    name,
    source,
    options,
    connect,
    clientPublish: new Set(options.clientPublish ?? []),
    clientJoin: options.clientJoin ?? true,
    publishRoles: new Set(options.publishRoles ?? []),
    historySize: history ? (options.historySize ?? (config.historySize || 100)) : 0,
    historyTtlMs: (options.historyTtlSeconds ?? config.historyTtlSeconds) * 1000,
    maxBytes: options.maxBytes ?? config.maxBytes,
    ratePerSecond: options.ratePerSecond ?? config.ratePerSecond,
  };
}

/** True when a signed-in account with `roles` may publish to the endpoint over REST (admins always may). */
export function mayPublishOverRest(policy: EndpointPolicy, roles: readonly string[]): boolean {
  return roles.includes('admin') || roles.some((role) => policy.publishRoles.has(role));
}

/** `null` when the user may connect; otherwise the refusal's code. */
export function connectRefusal(
  policy: EndpointPolicy,
  user: { roles: readonly string[] } | null,
): 'WS_UNAUTHENTICATED' | 'WS_FORBIDDEN' | null {
  if (policy.connect === 'anyone') return null;
  if (user === null) return 'WS_UNAUTHENTICATED';
  if (policy.connect === 'signed-in') return null;
  return user.roles.includes(policy.connect.role) || user.roles.includes('admin') ? null : 'WS_FORBIDDEN';
}
