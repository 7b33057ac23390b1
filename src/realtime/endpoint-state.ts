/** One endpoint on this instance: its policy, its local connections by user and room, its counters. */
import type { Connection } from './connection.js';
import type { EndpointPolicy } from './policy.js';

export class EndpointState {
  policy: EndpointPolicy;
  readonly conns = new Set<Connection>();
  readonly users = new Map<string, Set<Connection>>();
  readonly rooms = new Map<string, Set<Connection>>();
  messagesIn = 0;
  messagesOut = 0;
  /** Counted since the last flush to the cluster-wide totals. */
  unflushedIn = 0;
  unflushedOut = 0;
  lastActivity: number | null = null;
  removed = false;

  constructor(policy: EndpointPolicy) {
    this.policy = policy;
  }

  get name(): string {
    return this.policy.name;
  }

  /** The local recipients of a stream (`broadcast`, `user:<id>`, `room:<id>`). */
  recipients(stream: string): Set<Connection> | undefined {
    if (stream === 'broadcast') return this.conns;
    if (stream.startsWith('room:')) return this.rooms.get(stream.slice(5));
    if (stream.startsWith('user:')) return this.users.get(stream.slice(5));
    return undefined;
  }
}
