/**
 * Per-stream positions and the ordering rules of delivery: every stream (`broadcast`, `user`,
 * `room:<id>`) remembers the epoch and the last offset delivered; a message at or below it is a
 * duplicate and dropped. While a stream is being recovered (or joined), its messages are held, and
 * when the server's `ok` arrives they are sorted, deduplicated and released in offset order, so
 * the missed messages (replayed by the server) and the live ones (which may arrive in between)
 * reach the application once each, in order.
 */
import type { MsgFrame, StreamPosition } from './protocol.js';

export class StreamTracker {
  readonly #positions = new Map<string, StreamPosition>();
  readonly #held = new Map<string, MsgFrame[]>();

  position(stream: string): StreamPosition | undefined {
    const position = this.#positions.get(stream);
    return position === undefined ? undefined : { ...position };
  }

  /** Sets where a stream stands (from the welcome or a join's `ok`). */
  set(stream: string, position: StreamPosition): void {
    this.#positions.set(stream, { ...position });
  }

  /** Forgets a stream (a room left, a user stream gone). */
  drop(stream: string): void {
    this.#positions.delete(stream);
    this.#held.delete(stream);
  }

  isHolding(stream: string): boolean {
    return this.#held.has(stream);
  }

  /** Forgets every held message (the connection was lost mid-recovery; the next one recovers again). */
  discardHeld(): void {
    this.#held.clear();
  }

  /** From now on, hold the stream's messages until `release`. */
  hold(stream: string): void {
    if (!this.#held.has(stream)) this.#held.set(stream, []);
  }

  /**
   * A message arrived: returns what to deliver now (nothing while the stream is held or when the
   * message is a duplicate). Messages with offset 0 come from endpoints without history (or from an
   * instance cut off from Redis): delivered as they come. A message past the next offset means the
   * ones between were lost on the way (a failover): the stream is held from there, and `gap` says
   * where to recover from.
   */
  accept(message: MsgFrame): { deliver: MsgFrame[]; gap?: StreamPosition } {
    if (message.o <= 0) return { deliver: [message] };
    const held = this.#held.get(message.s);
    if (held !== undefined) {
      held.push(message);
      return { deliver: [] };
    }
    const position = this.#positions.get(message.s);
    if (position === undefined) return { deliver: [message] };
    if (message.o <= position.offset) return { deliver: [] };
    if (message.o > position.offset + 1 && position.epoch !== '') {
      this.#held.set(message.s, [message]);
      return { deliver: [], gap: { ...position } };
    }
    position.offset = message.o;
    return { deliver: [message] };
  }

  /**
   * Ends holding: when `restart` is given (a fresh join, or recovery impossible) the stream starts
   * over from there; otherwise it goes on from its own position (recovery succeeded). Returns the
   * held messages past the position, in offset order, each once.
   */
  release(stream: string, restart?: StreamPosition): MsgFrame[] {
    const held = this.#held.get(stream) ?? [];
    this.#held.delete(stream);
    if (restart !== undefined) this.#positions.set(stream, { ...restart });
    const position = this.#positions.get(stream);
    const out: MsgFrame[] = [];
    const sorted = [...held].sort((a, b) => a.o - b.o);
    let last = position?.offset ?? 0;
    for (const message of sorted) {
      if (message.o <= last) continue;
      last = message.o;
      out.push(message);
    }
    if (position !== undefined) position.offset = Math.max(position.offset, last);
    return out;
  }
}
