import { Writable } from 'node:stream';
import Fastify, { type FastifyBaseLogger, LogController } from 'fastify';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { withLazyRequestLoggers } from '../../src/server/request-context.js';

function capture(): { logger: FastifyBaseLogger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream) as unknown as FastifyBaseLogger, lines };
}

describe('lazy request loggers', () => {
  it('gives requests that log nothing a stand-in, not a pino child (Fastify derives its root logger with serializers)', async () => {
    const { logger } = capture();
    const app = Fastify({
      loggerInstance: withLazyRequestLoggers(logger),
      logController: new LogController({ disableRequestLogging: true }),
    });
    let kind = '';
    app.get('/quiet', async (request) => {
      kind = request.log.constructor.name;
      return { ok: true };
    });
    const response = await app.inject('/quiet');
    expect(response.statusCode).toBe(200);
    expect(kind).toBe('LazyChildLogger');
    await app.close();
  });

  it('writes what a request logs with its request id and Fastify’s serializers', async () => {
    const { logger, lines } = capture();
    const app = Fastify({
      loggerInstance: withLazyRequestLoggers(logger),
      logController: new LogController({ disableRequestLogging: true }),
    });
    app.get('/loud', async (request) => {
      request.log.info({ err: new Error('boom') }, 'something happened');
      request.log.debug('below the level: not written');
      return { ok: true };
    });
    const response = await app.inject({ url: '/loud', headers: { 'x-request-id': 'given' } });
    expect(response.statusCode).toBe(200);
    const written = lines.filter((line) => line.msg === 'something happened');
    expect(written).toHaveLength(1);
    expect(written[0]!.reqId).toBe(response.headers['x-request-id'] ?? written[0]!.reqId);
    expect(typeof written[0]!.reqId).toBe('string');
    expect((written[0]!.err as { message: string }).message).toBe('boom');
    expect(lines.some((line) => line.msg === 'below the level: not written')).toBe(false);
    await app.close();
  });
});
