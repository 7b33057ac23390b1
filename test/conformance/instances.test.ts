/**
 * The instance registry conformance suite: three registries (three "instances") on the memory
 * implementation, a single Redis and a Redis Cluster, checked through the /api/1/metrics document.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { InstanceRegistry } from '../../src/instances/index.js';
import { silentLogger } from '../../src/logger.js';
import { Metrics } from '../../src/metrics/index.js';
import { BACKENDS, eventually, type Instances, type ManualLayer } from '../support/bus-backends.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(BACKENDS)('instance registry on $name', (backend) => {
  let instances: Instances;
  let registries: InstanceRegistry[] = [];

  beforeAll(() => backend.setup(), 60_000);
  afterAll(() => backend.teardown());

  afterEach(async () => {
    await Promise.all(registries.map((r) => r.stop()));
    registries = [];
    await instances.close();
  });

  async function start(
    servers: string[],
    timing: { reportIntervalMs: number; ttlMs: number } = { reportIntervalMs: 200, ttlMs: 1000 },
  ): Promise<InstanceRegistry[]> {
    instances = await backend.instances(servers.length);
    registries = servers.map((serverName, i) => {
      const layer = instances.layers[i]!;
      const metrics = new Metrics(layer, {
        instanceId: `i${i}`,
        serverName,
        errorsKept: 10,
        requestsRetentionMinutes: 5,
        maxRoutesPerMinute: 50,
        logger: silentLogger,
      });
      return new InstanceRegistry(layer, {
        instanceId: `i${i}`,
        serverName,
        version: i === 2 ? '1.1.0' : '1.0.0',
        metrics,
        logger: silentLogger,
        ...timing,
      });
    });
    return registries;
  }

  it('lists every instance, grouped by server, with totals by rule', async () => {
    const regs = await start(['web01.example.com', 'web01.example.com', 'web02.example.com']);
    for (const r of regs) r.start();
    await eventually(async () => (await regs[1]!.list()).instances.length === 3);
    const doc = await regs[1]!.document();
    expect(doc).toMatchObject({ status: 'ok', source: 'cluster', singleInstance: false });
    expect(doc.statistics).toMatchObject({
      totalServers: 2,
      totalInstances: 3,
      totalProcesses: 3,
      runningProcesses: 3,
      stoppedProcesses: 0,
      erroredProcesses: 0,
    });
    expect(doc.servers.map((s) => [s.serverName, s.serverId, s.instances.map((i) => i.id).sort()])).toEqual([
      ['web01.example.com', 1, ['i0', 'i1']],
      ['web02.example.com', 2, ['i2']],
    ]);
    const all = doc.servers.flatMap((s) => s.instances);
    const rss = all.reduce((n, i) => n + i.memory.rss, 0);
    expect(doc.statistics.totals['memory.rss']).toBe(rss);
    expect(doc.servers[0]!.totals['memory.rss']).toBe(
      all.filter((i) => i.serverName === 'web01.example.com').reduce((n, i) => n + i.memory.rss, 0),
    );
    expect(doc.statistics.totals['eventLoop.delayP99Ms']).toBe(
      Math.max(...all.map((i) => i.eventLoop.delayP99Ms)),
    );
    expect(doc.statistics.totals.version).toEqual(['1.0.0', '1.1.0']);
    expect(doc.statistics.hardware.cpus).toBe(doc.servers.reduce((n, s) => n + s.cpus, 0));
    for (const i of all) {
      expect(i).toMatchObject({ effectiveStatus: 'running', statusDetail: 'running', pid: process.pid });
      expect(i.lastSeenMs).toBeLessThan(1000);
      expect(i.uptimeFormatted).toMatch(/\d+s$/);
    }
    expect(doc.statistics.lastUpdated).not.toBeNull();
  });

  it('removes an instance at once on graceful stop', async () => {
    const regs = await start(['a', 'a', 'b'], { reportIntervalMs: 200, ttlMs: 20_000 });
    for (const r of regs) r.start();
    await eventually(async () => (await regs[0]!.list()).instances.length === 3);
    await regs[2]!.stop();
    const listing = await regs[0]!.list();
    expect(listing.instances.map((i) => i.report.id).sort()).toEqual(['i0', 'i1']);
    expect((await regs[0]!.document()).statistics.totalServers).toBe(1);
  });

  it('shows an instance that stopped reporting as stale, then forgets it at its TTL', async () => {
    const regs = await start(['a', 'b'], { reportIntervalMs: 100, ttlMs: 1500 });
    regs[0]!.start();
    await regs[1]!.beat(); // reports once, then never again: as if frozen or killed
    await eventually(async () => (await regs[0]!.list()).instances.length === 2);
    await eventually(async () => (await regs[0]!.document()).statistics.stoppedProcesses === 1, 3000);
    const doc = await regs[0]!.document();
    expect(doc.servers.find((s) => s.serverName === 'b')!.instances[0]).toMatchObject({
      id: 'i1',
      effectiveStatus: 'stopped',
      statusDetail: 'stale',
    });
    await eventually(async () => (await regs[0]!.list()).instances.length === 1, 3000);
    // The index was pruned too: no KEYS, no leftovers. The report key expires by Redis's key clock,
    // its index entry by the score the script computed from TIME; they can be a millisecond apart,
    // so the read that no longer finds the report may come just before the one that prunes it.
    const layer = instances.layers[0]!;
    await eventually(async () => {
      await regs[0]!.list();
      return (await layer.store.zCard(layer.keys.instances.index())) === 1;
    }, 3000);
  });

  it('reports application status and WebSocket figures per namespace', async () => {
    const regs = await start(['a', 'a', 'b']);
    regs[0]!.provideWebSocket(() => ({
      connections: 3,
      messages: 10,
      namespaces: [
        { path: '/ws/chat', connections: 2, messages: 7, lastActivity: 1_700_000_000_000 },
        { path: '/ws/status', connections: 1, messages: 3, lastActivity: null },
      ],
    }));
    regs[2]!.provideWebSocket(() => ({
      connections: 5,
      messages: 1,
      namespaces: [{ path: '/ws/chat', connections: 5, messages: 1, lastActivity: 1_700_000_001_000 }],
    }));
    regs[2]!.setStatus('errored', 'database unreachable');
    for (const r of regs) r.start();
    await eventually(async () => (await regs[1]!.list()).instances.length === 3);
    const { statistics, servers } = await regs[1]!.document();
    expect(statistics).toMatchObject({
      runningProcesses: 2,
      erroredProcesses: 1,
      totalWebSocketConnections: 8,
      totalWebSocketMessages: 11,
      totalWebSocketNamespaces: 2,
    });
    expect(statistics.webSocketNamespaces).toEqual([
      {
        path: '/ws/chat',
        totalConnections: 7,
        totalMessages: 8,
        instanceCount: 2,
        serverCount: 2,
        status: 'yellow',
        lastActivity: new Date(1_700_000_001_000).toISOString(),
      },
      {
        path: '/ws/status',
        totalConnections: 1,
        totalMessages: 3,
        instanceCount: 1,
        serverCount: 1,
        status: 'green',
        lastActivity: null,
      },
    ]);
    expect(servers.find((s) => s.serverName === 'b')!.instances[0]).toMatchObject({
      effectiveStatus: 'errored',
      statusReason: 'database unreachable',
    });
  });

  it('servers(): the per-server view', async () => {
    const regs = await start(['x1', 'x2']);
    for (const r of regs) r.start();
    await eventually(async () => (await regs[0]!.list()).instances.length === 2);
    const servers = await regs[0]!.servers();
    expect(servers).toMatchObject({ source: 'cluster', singleInstance: false, totalServers: 2 });
    expect(servers.servers.map((s) => s.serverName)).toEqual(['x1', 'x2']);
  });

  it.runIf(backend.name === 'memory')(
    'answers with its own figures, flagged single-instance, while Redis is down',
    async () => {
      const regs = await start(['a', 'b']);
      for (const r of regs) r.start();
      await eventually(async () => (await regs[0]!.list()).instances.length === 2);
      const layer = instances.layers[0] as ManualLayer;
      layer.setState('degraded', 'test');
      const doc = await regs[0]!.document();
      expect(doc).toMatchObject({ source: 'local', singleInstance: true });
      expect(doc.statistics.totalInstances).toBe(1);
      expect(doc.servers[0]!.instances[0]!.id).toBe('i0');
      expect(doc.servers[0]!.instances[0]!.redis.state).toBe('degraded');
      layer.setState('ready');
      await sleep(50);
      expect((await regs[0]!.document()).statistics.totalInstances).toBe(2);
    },
  );
});
