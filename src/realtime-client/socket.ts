/**
 * The part of the WebSocket API the client uses, so that the browser's `WebSocket` and the `ws`
 * package's both fit (Node 20 has no global WebSocket: pass `WebSocket` from `ws` in the options).
 */

/** Method-style signature so that implementations with richer event types are accepted. */
type Handler<E> = { bivarianceHack(event: E): void }['bivarianceHack'];

export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: Handler<unknown> | null;
  onmessage: Handler<{ data: unknown }> | null;
  onclose: Handler<{ code: number; reason: string }> | null;
  onerror: Handler<unknown> | null;
}

export type WebSocketConstructorLike = new (url: string) => WebSocketLike;

/** `WebSocket.OPEN` */
export const OPEN = 1;

/** The global WebSocket of browsers (and Node 22+), if there is one. */
export function globalWebSocket(): WebSocketConstructorLike | undefined {
  const candidate = (globalThis as { WebSocket?: unknown }).WebSocket;
  return typeof candidate === 'function' ? (candidate as WebSocketConstructorLike) : undefined;
}

/** A frame's text: browsers give strings; `ws` gives a Buffer (text frames are UTF-8). */
export function frameText(data: unknown): string | undefined {
  if (typeof data === 'string') return data;
  if (data instanceof ArrayBuffer) return new TextDecoder().decode(data);
  if (ArrayBuffer.isView(data))
    return new TextDecoder().decode(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  return undefined;
}
