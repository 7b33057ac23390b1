/**
 * How a cluster shares connections between its workers: what a SIGKILLed worker does to
 * connections, and how evenly each policy shares the load.
 *
 *   npx tsx bench/cluster-scheduling.ts [--rounds 3]
 *
 * For each policy: Node's round-robin (its default on Linux); Node's "none", where the workers
 * accept from the shared socket themselves; and "plexus", the primary's own hand-over that
 * `plexus start --workers` uses (src/cli/distributor.ts), with plain `node:http` workers:
 * - kill: 50 clients open a new connection per request to two workers; after 1 s one worker is
 *   SIGKILLed; 1.5 s later the requests that got neither an answer nor an error within 3 s are
 *   counted as hung.
 * - stall: the same load; after 1 s one worker is stopped (SIGSTOP) for 1 s; the answers that took
 *   over 500 ms are counted as held up by the stalled worker.
 * - balance: 50 clients for 3 s, with and without keep-alive; each worker's share of the answers.
 */
import cluster, { type Worker } from 'node:cluster';
import http from 'node:http';
import { parseArgs } from 'node:util';
import { ConnectionDistributor } from '../src/cli/distributor.js';
import { acceptHandedConnections } from '../src/server/handed-connections.js';

const PORT = Number(process.env.PORT ?? 3997);
const CLIENTS = 50;
/** An answer slower than this was held up (the worker's own work takes well under 1 ms). */
const SLOW_MS = 500;

type Policy = 'rr' | 'none' | 'plexus';
const POLICIES: readonly Policy[] = ['rr', 'none', 'plexus'];

let distributor: ConnectionDistributor | undefined;

if (cluster.isPrimary) await primary();
else worker();

function worker(): void {
  const server = http.createServer((_req, res) => {
    // A little work per request, so that the busier worker is visible.
    let x = 0;
    for (let i = 0; i < 20_000; i++) x += i;
    res.end(`${process.pid} ${x > 0 ? '' : '!'}`);
  });
  if (process.env.POLICY !== 'plexus') {
    server.listen(PORT);
    return;
  }
  acceptHandedConnections(server);
  process.send?.('ready');
}

async function primary(): Promise<void> {
  const { values } = parseArgs({ options: { rounds: { type: 'string', default: '3' } } });
  const rounds = Number(values.rounds);
  const policy = (process.env.POLICY ?? '') as Policy | '';
  if (policy === '') {
    // One child process per policy: the policy is fixed at the first fork.
    const { spawnSync } = await import('node:child_process');
    for (const p of POLICIES) {
      spawnSync(process.execPath, [...process.execArgv, process.argv[1]!, '--rounds', String(rounds)], {
        stdio: 'inherit',
        env: { ...process.env, POLICY: p },
      });
    }
    return;
  }
  cluster.schedulingPolicy = policy === 'none' ? cluster.SCHED_NONE : cluster.SCHED_RR;
  if (policy === 'plexus') {
    const own = new ConnectionDistributor();
    await own.listen('127.0.0.1', PORT);
    cluster.on('message', (w, message) => {
      if (message === 'ready') own.add(w);
    });
    cluster.on('exit', (w) => own.exited(w));
    distributor = own;
  }
  for (let round = 1; round <= rounds; round++) {
    const kill = await killRound();
    const stall = await stallRound();
    const balance = [await balanceRound(false), await balanceRound(true)];
    console.log(
      `${policy.padEnd(6)} round ${round}: SIGKILL → answered ${kill.ok}, errors ${kill.errors}, ` +
        `hung ${kill.hung}; SIGSTOP 1 s → answered ${stall.ok}, over ${SLOW_MS} ms ${stall.slow}; ` +
        `shares without keep-alive ${balance[0]}, with keep-alive ${balance[1]}`,
    );
  }
  process.exit(0);
}

async function startWorkers(): Promise<Worker[]> {
  const workers = [cluster.fork(), cluster.fork()];
  await Promise.all(
    workers.map(
      (w) =>
        new Promise((resolve) => {
          if (distributor === undefined) w.once('listening', resolve);
          else w.on('message', (message) => message === 'ready' && resolve(undefined));
        }),
    ),
  );
  return workers;
}

async function stopWorkers(): Promise<void> {
  const alive = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
  await Promise.all(
    alive.map(
      (w) =>
        new Promise((resolve) => {
          w.once('exit', resolve);
          w.process.kill('SIGKILL');
        }),
    ),
  );
}

function request(agent: http.Agent, timeoutMs: number): Promise<string | 'error' | 'hung'> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (outcome: string) => {
      if (settled) return;
      settled = true;
      resolve(outcome);
    };
    const req = http.get({ host: '127.0.0.1', port: PORT, path: '/', agent }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      res.on('end', () => done(body.split(' ')[0]!));
      res.on('error', () => done('error'));
    });
    req.setTimeout(timeoutMs, () => {
      done('hung');
      req.destroy();
    });
    req.on('error', () => done('error'));
  });
}

async function load(keepAlive: boolean, ms: number, during?: () => void): Promise<Map<string, number>> {
  const agent = new http.Agent({ keepAlive, maxSockets: CLIENTS });
  const outcomes = new Map<string, number>();
  let running = true;
  const clients = Array.from({ length: CLIENTS }, async () => {
    while (running) {
      const started = performance.now();
      let outcome = await request(agent, 3000);
      if (outcome !== 'error' && outcome !== 'hung' && performance.now() - started > SLOW_MS)
        outcome = 'slow';
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    }
  });
  if (during !== undefined) setTimeout(during, 1000);
  await new Promise((resolve) => setTimeout(resolve, ms));
  running = false;
  await Promise.all(clients);
  agent.destroy();
  return outcomes;
}

async function killRound(): Promise<{ ok: number; errors: number; hung: number }> {
  const [victim] = await startWorkers();
  const outcomes = await load(false, 2500, () => victim!.process.kill('SIGKILL'));
  await stopWorkers();
  const ok = answersPerWorker(outcomes).reduce((a, b) => a + b, 0);
  return { ok, errors: outcomes.get('error') ?? 0, hung: outcomes.get('hung') ?? 0 };
}

/** The answers each worker gave (the outcomes other than errors, hung and slow requests). */
function answersPerWorker(outcomes: Map<string, number>): number[] {
  return [...outcomes].filter(([o]) => o !== 'error' && o !== 'hung' && o !== 'slow').map(([, n]) => n);
}

async function stallRound(): Promise<{ ok: number; slow: number }> {
  const [victim] = await startWorkers();
  const outcomes = await load(false, 2500, () => {
    victim!.process.kill('SIGSTOP');
    setTimeout(() => victim!.process.kill('SIGCONT'), 1000);
  });
  await stopWorkers();
  const ok = answersPerWorker(outcomes).reduce((a, b) => a + b, 0);
  return { ok, slow: outcomes.get('slow') ?? 0 };
}

async function balanceRound(keepAlive: boolean): Promise<string> {
  await startWorkers();
  const outcomes = await load(keepAlive, 3000);
  await stopWorkers();
  const answers = answersPerWorker(outcomes);
  const total = answers.reduce((a, b) => a + b, 0);
  return answers
    .sort((a, b) => b - a)
    .map((n) => (n / total).toFixed(2))
    .join('/');
}
