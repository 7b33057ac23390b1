/**
 * Frames sent in one turn of the event loop leave in one write per socket.
 *
 * `ws` writes every frame with its own writev system call. A fan-out sends one frame to each of
 * many sockets per message, and under load many messages arrive in one read from Redis (node-redis
 * emits them one after another in the same callback), so a socket gets several frames per turn:
 * the profile of the fan-out benchmark at 1,000 msgs/s had writev as its largest item. The first
 * frame of a turn corks the socket; a single process.nextTick, which runs as soon as the current
 * callback returns (before any other I/O), uncorks every socket corked in the turn. No frame waits
 * for a later turn, so latency is unchanged.
 *
 * `ws` gives no public access to its socket; `_socket` has been its name since ws 1 and is what its
 * own `bufferedAmount` reads. When it is missing (a future ws), frames are sent uncorked.
 */
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';

const corked: Duplex[] = [];
let flushScheduled = false;

function flush(): void {
  flushScheduled = false;
  // The list is reused: no allocation per turn.
  for (let i = 0; i < corked.length; i++) corked[i]!.uncork();
  corked.length = 0;
}

/** Corks `ws`'s socket until the end of the current turn (once per socket per turn). */
export function corkForTurn(ws: WebSocket): void {
  const socket = (ws as WebSocket & { _socket?: Duplex })._socket;
  if (socket === undefined || socket.writableCorked > 0) return;
  socket.cork();
  corked.push(socket);
  if (!flushScheduled) {
    flushScheduled = true;
    process.nextTick(flush);
  }
}
