/**
 * One Plexus instance as a separate process, for the multi-process tests (bus, jobs, instances).
 * Started by instances-processes.ts with `fork`; argv[2] is the JSON environment the instance
 * reads its configuration from (never process.env). It runs the reference server on a free port,
 * announces `{ event: 'ready', url, instanceId }`, and answers commands sent over IPC:
 *
 *   { id, cmd: 'subscribe', channel, omitSelf }  → messages come back as { event: 'message', ... }
 *   { id, cmd: 'publish', channel, data }        → { id, result: PublishResult }
 *   { id, cmd: 'job', name, intervalMs, workMs, recordKey } → each run is recorded in Redis
 *   { id, cmd: 'state' }                          → { id, result: { state, bus: BusStats } }
 *
 * A job run appends `start` then `end` records (tick, fencing token, instance, times) to the
 * list `recordKey`, so the test can check from Redis that no tick ran twice or overlapped.
 * SIGTERM stops gracefully (server.stop()); SIGKILL is the crash the tests inject.
 */
import { createPlexus } from '../../src/index.js';
import { createServer } from '../../src/server/index.js';

type Command =
  | { id: number; cmd: 'subscribe'; channel: string; omitSelf: boolean }
  | { id: number; cmd: 'publish'; channel: string; data: unknown }
  | { id: number; cmd: 'job'; name: string; intervalMs: number; workMs: number; recordKey: string }
  | { id: number; cmd: 'state' };

const env = JSON.parse(process.argv[2] ?? '{}') as Record<string, string>;
const plexus = createPlexus({ env });
const server = createServer(plexus);
const send = (message: object) => process.send?.(message);

async function handle(command: Command): Promise<unknown> {
  switch (command.cmd) {
    case 'subscribe':
      await plexus.bus.subscribe(
        command.channel,
        (data, message) => {
          send({ event: 'message', instanceId: plexus.instanceId, data, message });
        },
        { omitSelf: command.omitSelf },
      );
      return null;
    case 'publish':
      return plexus.bus.publish(command.channel, command.data);
    case 'job': {
      const { store } = plexus.redis;
      const record = (phase: 'start' | 'end', tick: number, fence: number, local: boolean) =>
        store.lPush(command.recordKey, [
          JSON.stringify({ phase, tick, fence, local, instance: plexus.instanceId, at: Date.now() }),
        ]);
      plexus.jobs.every(command.name, command.intervalMs, async (ctx) => {
        await record('start', ctx.tick.getTime(), ctx.fencingToken, ctx.local);
        await new Promise((resolve) => setTimeout(resolve, command.workMs));
        await record('end', ctx.tick.getTime(), ctx.fencingToken, ctx.local);
      });
      return null;
    }
    case 'state':
      return { state: plexus.redis.state, bus: plexus.bus.stats() };
  }
}

process.on('message', (command: Command) => {
  handle(command).then(
    (result) => send({ id: command.id, result }),
    (error: unknown) =>
      send({ id: command.id, error: error instanceof Error ? error.message : String(error) }),
  );
});
process.on('SIGTERM', () => {
  void server.stop().then(() => process.exit(0));
});
process.on('disconnect', () => process.exit(0));

await plexus.start();
const url = await server.listen();
send({ event: 'ready', url, instanceId: plexus.instanceId });
