/**
 * In-process pub/sub with Redis semantics: exact channels and glob patterns; `publish` returns
 * how many listeners will receive the message; delivery is asynchronous (next macrotask), like a
 * message that crossed a socket, so a publisher never re-enters its own subscriber synchronously.
 */
import type { MessageListener, Unsubscribe } from '../store.js';
import { globMatcher } from './glob.js';

interface PatternListener {
  matches: (channel: string) => boolean;
  listener: MessageListener;
}

export class MemoryPubSub {
  readonly #channels = new Map<string, Set<MessageListener>>();
  readonly #patterns = new Set<PatternListener>();

  publish(channel: string, message: string): number {
    const targets = [...(this.#channels.get(channel) ?? [])];
    for (const p of this.#patterns) if (p.matches(channel)) targets.push(p.listener);
    if (targets.length > 0) {
      setImmediate(() => {
        for (const listener of targets) listener(message, channel);
      });
    }
    return targets.length;
  }

  subscribe(channel: string, listener: MessageListener, pattern: boolean): Unsubscribe {
    if (pattern) {
      const entry = { matches: globMatcher(channel), listener };
      this.#patterns.add(entry);
      return async () => {
        this.#patterns.delete(entry);
      };
    }
    const own = listener.bind(null);
    let listeners = this.#channels.get(channel);
    if (listeners === undefined) {
      listeners = new Set();
      this.#channels.set(channel, listeners);
    }
    listeners.add(own);
    return async () => {
      listeners.delete(own);
      if (listeners.size === 0 && this.#channels.get(channel) === listeners) this.#channels.delete(channel);
    };
  }
}
