/** Errors of the realtime client, each with a stable code. */

export type RealtimeClientErrorCode =
  /** The client is not connected (a publish or a ping while disconnected). */
  | 'RT_NOT_CONNECTED'
  /** The connection went away before the server answered the request. */
  | 'RT_DISCONNECTED'
  /** The client was closed by `close()`. */
  | 'RT_CLOSED'
  /** The server did not answer the request in time. */
  | 'RT_TIMEOUT'
  /** The server sent a frame the client cannot read. */
  | 'RT_PROTOCOL'
  /** No WebSocket implementation: pass `WebSocket` in the options (Node 20 has none built in). */
  | 'RT_NO_WEBSOCKET';

export class RealtimeClientError extends Error {
  readonly code: RealtimeClientErrorCode;
  constructor(code: RealtimeClientErrorCode, message: string) {
    super(message);
    this.name = 'RealtimeClientError';
    this.code = code;
  }
}

/** A frame the server refused (`err` frame): the server's code, e.g. `WS_FORBIDDEN`. */
export class RealtimeServerError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'RealtimeServerError';
    this.code = code;
  }
}
