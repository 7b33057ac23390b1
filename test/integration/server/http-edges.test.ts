/**
 * What Node's HTTP server answers by itself, before Fastify sees a request, over real sockets:
 * a missing Host header, an unknown Expect header, headers too large, and a client too slow to
 * send its headers or its body (slowloris). Each gets the JSON error contract and, for the slow
 * ones, the connection ends close to the configured timeout. The same for a server that listens
 * and for one fed connections by a cluster primary (a worker of `plexus start --workers`).
 */
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Running, startServer } from './harness.js';

const HEADERS_TIMEOUT_MS = 1000;
const REQUEST_TIMEOUT_MS = 2000;
/** Node looks for late connections every 500 ms (app.ts); the rest is room for a loaded machine. */
const SLACK_MS = 500 + 700;

let running: Running;

interface RawAnswer {
  text: string;
  /** ms from the first byte sent to the server closing the connection. */
  closedAfterMs: number;
}

/** Opens a socket, lets `talk` write to it, and resolves with everything read once it closes. */
function raw(talk: (socket: Socket) => void): Promise<RawAnswer> {
  const { hostname, port } = new URL(running.url);
  return new Promise((resolve, reject) => {
    let started = 0;
    const socket = connect({ host: hostname, port: Number(port) }, () => {
      started = performance.now();
      talk(socket);
    });
    let text = '';
    socket.on('data', (chunk) => {
      text += chunk.toString();
    });
    socket.on('close', () => resolve({ text, closedAfterMs: performance.now() - started }));
    socket.on('error', reject);
  });
}

function jsonError(text: string): { status: number; code: string; message: string } {
  const status = Number(/^HTTP\/1\.1 (\d{3}) /.exec(text)?.[1]);
  expect(text.toLowerCase()).toContain('content-type: application/json');
  const payload = text.slice(text.indexOf('\r\n\r\n') + 4);
  const { error } = JSON.parse(payload) as { error: { code: string; message: string } };
  return { status, code: error.code, message: error.message };
}

describe.each([
  ['listening', false],
  ['fed by a cluster primary', true],
])('a server %s', (_mode, handed) => {
  beforeAll(async () => {
    running = await startServer({
      env: {
        PLEXUS_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
        PLEXUS_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
      },
      handed,
    });
  });
  afterAll(async () => {
    await running.stop();
  });

  describe('requests Node answers itself', () => {
    it('answers an HTTP/1.1 request without Host with a JSON 400', async () => {
      const answer = await raw((s) => s.write('GET /api/1/status HTTP/1.1\r\n\r\n'));
      expect(jsonError(answer.text)).toMatchObject({ status: 400, code: 'BAD_REQUEST' });
    });

    it('still serves HTTP/1.0 without Host, which does not require it', async () => {
      const answer = await raw((s) => s.write('GET /api/1/status HTTP/1.0\r\n\r\n'));
      expect(answer.text).toMatch(/^HTTP\/1\.1 200 /);
    });

    it('answers an unknown Expect header with a JSON 417, and still honours 100-continue', async () => {
      const answer = await raw((s) =>
        s.write('GET /api/1/status HTTP/1.1\r\nHost: x\r\nExpect: something-else\r\n\r\n'),
      );
      expect(jsonError(answer.text)).toMatchObject({ status: 417, code: 'EXPECTATION_FAILED' });

      const body = '{}';
      const continued = await raw((s) => {
        s.write(
          `POST /api/1/status HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`,
        );
        s.once('data', () => s.write(body));
      });
      expect(continued.text).toMatch(/^HTTP\/1\.1 100 Continue/);
    });

    it('answers headers larger than Node accepts with a JSON 431', async () => {
      const answer = await raw((s) =>
        s.write(`GET /api/1/status HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`),
      );
      expect(jsonError(answer.text)).toMatchObject({ status: 431, code: 'HEADERS_TOO_LARGE' });
    });
  });

  describe('slow clients', () => {
    it('ends a client that sends its headers a byte at a time (slowloris) soon after PLEXUS_HEADERS_TIMEOUT_MS', async () => {
      let timer: NodeJS.Timeout | undefined;
      const answer = await raw((s) => {
        s.write('GET /api/1/status HTTP/1.1\r\nHost: x\r\n');
        // A header byte every 100 ms: each one alone would reset an idle timeout, never this one.
        timer = setInterval(() => {
          if (s.writable) s.write('X');
        }, 100);
        s.on('close', () => clearInterval(timer));
      });
      clearInterval(timer);
      expect(jsonError(answer.text)).toMatchObject({ status: 408, code: 'REQUEST_TIMEOUT' });
      expect(answer.closedAfterMs).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS - 50);
      expect(answer.closedAfterMs).toBeLessThan(HEADERS_TIMEOUT_MS + SLACK_MS);
    });

    it('ends a client that never finishes its body soon after PLEXUS_REQUEST_TIMEOUT_MS', async () => {
      const answer = await raw((s) =>
        s.write(
          'POST /api/1/status HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{',
        ),
      );
      expect(jsonError(answer.text)).toMatchObject({ status: 408, code: 'REQUEST_TIMEOUT' });
      expect(answer.closedAfterMs).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 50);
      expect(answer.closedAfterMs).toBeLessThan(REQUEST_TIMEOUT_MS + SLACK_MS);
    });
  });
});
