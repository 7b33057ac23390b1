/**
 * Logout-all holes: two `plexus start` processes, A and B, each reaching Redis through its own TCP
 * gate (test/support/tcp-gate.ts) so the suite chooses which one gets Redis back first. One try:
 * Redis stops for real (SIGSTOP, or SIGKILL and a restart with no data); the user signs in on B
 * (session V, kept in B's process); on A the user signs in and logs out everywhere; Redis comes
 * back to A first or to B first (on a Cluster, where node addresses cannot be relayed, to both at
 * once). A hole is a V that answers 200 on A or on B once both are back, or at the end of the run.
 */
import { TcpGate } from '../../test/support/tcp-gate.js';
import { getJson, login, type Server, sleep, startPlexus } from './deploy.js';

export type Order = 'A' | 'B' | 'together';

export interface Outage {
  stop(): Promise<void> | void;
  start(): Promise<void> | void;
}

export interface HolesResult {
  label: string;
  tries: number;
  holes: number;
}

interface Instance {
  server: Server;
  gate: TcpGate | undefined;
}

async function sessionsHealth(port: number): Promise<Record<string, unknown>> {
  return (await getJson(port, '/api/1/health/sessions')).body ?? {};
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await sleep(20);
  }
  throw new Error(`timed out: ${what}`);
}

const settled = (i: Instance) =>
  until('settled', async () => {
    const h = await sessionsHealth(i.server.port);
    return (
      h['backend'] === 'redis' && h['pendingLogoutAll'] === 0 && h['pendingLogouts'] === 0 && h['local'] === 0
    );
  });
const degraded = (i: Instance) =>
  until('degraded', async () => (await sessionsHealth(i.server.port))['backend'] === 'memory');

async function alive(cookie: string, instances: Instance[]): Promise<boolean> {
  for (const i of instances) {
    if ((await getJson(i.server.port, '/api/1/auth/me', { cookie })).status === 200) return true;
  }
  return false;
}

/**
 * Runs `tries` tries per order. `redis` gives the settings of an instance reaching Redis at
 * `address` (the gate's) — or, when `gated` is false, Redis directly (Cluster).
 */
export async function logoutAllHoles(options: {
  label: string;
  env: (gateUrl: string | undefined) => Record<string, string>;
  target: string | undefined;
  outage: Outage;
  orders: Order[];
  tries: number;
  user: string;
}): Promise<HolesResult[]> {
  const instances: Instance[] = [];
  for (let n = 0; n < 2; n++) {
    const gate = options.target === undefined ? undefined : await TcpGate.start(options.target);
    instances.push({ server: await startPlexus(options.env(gate?.url), 0), gate });
  }
  const [a, b] = [instances[0]!, instances[1]!];
  const results: HolesResult[] = [];
  try {
    for (const order of options.orders) {
      const made: string[] = [];
      let holes = 0;
      for (let t = 0; t < options.tries; t++) {
        await Promise.all([settled(a), settled(b)]);
        await options.outage.stop();
        await Promise.all([degraded(a), degraded(b)]);
        const v = await login(b.server.port, options.user);
        const w = await login(a.server.port, options.user);
        const out = await getJson(a.server.port, '/api/1/auth/logout-all', { method: 'POST', cookie: w });
        if (out.status !== 200) throw new Error(`logout-all answered ${out.status}`);
        if (order === 'together') {
          await options.outage.start();
        } else {
          const [early, late] = order === 'A' ? [a, b] : [b, a];
          late.gate!.close();
          await options.outage.start();
          await settled(early);
          late.gate!.open();
        }
        await Promise.all([settled(a), settled(b)]);
        if (await alive(v, instances)) holes++;
        else made.push(v);
      }
      // Past the local copies' age, nothing brought any of them back.
      await sleep(2100);
      for (const v of made) if (await alive(v, instances)) holes++;
      results.push({
        label: `${options.label}, back to ${order === 'together' ? 'both at once' : `${order} first`}`,
        tries: options.tries,
        holes,
      });
    }
  } finally {
    for (const i of instances) {
      i.gate?.open();
      await i.server.stop();
      await i.gate?.stop();
    }
  }
  return results;
}
