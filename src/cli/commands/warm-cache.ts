/**
 * `plexus warm-cache [targets...]`: runs registered warm targets (`plexus.cache.warmTargets`, where
 * applications register theirs, e.g. the QR app's `students` and `stalls`) one after the other,
 * writing values to Redis with a progress bar on a terminal and plain lines otherwise. Without
 * names it runs every target; `--list` shows them. It refuses memory mode, where every server
 * process has a cache of its own that a separate command cannot fill. Ctrl+C stops between keys.
 * Exit codes: 0 all warmed, 1 some keys failed or Redis is unavailable or interrupted, 78 bad
 * configuration or an unknown target.
 */
import type { Command } from 'commander';
import pino from 'pino';
import type { CliApps } from '../../application/definition.js';
import { selectApps } from '../../application/select.js';
import { parse } from '../../config/option.js';
import { createPlexus, type Plexus, type WarmReport } from '../../index.js';
import { type ConfigFlags, loadCliConfig, withConfigOptions } from '../config.js';
import { EXIT_CONFIG, EXIT_FAILURE, EXIT_OK } from '../exit-codes.js';
import { duration, Progress, type ProgressOutput } from '../progress.js';
import type { CommandModule } from './types.js';

interface WarmFlags extends ConfigFlags {
  list?: boolean;
  refresh?: boolean;
  concurrency?: number;
}

export interface WarmCacheIO {
  out: ProgressOutput;
  err: { write(text: string): unknown };
  signal?: AbortSignal;
}

const SHOWN_FAILURES = 10;

export const warmCacheCommand: CommandModule = (program, cli) => {
  const command: Command = program
    .command('warm-cache')
    .description(
      'Load cache warm targets into Redis ahead of demand, with progress (every target when none is named).',
    )
    .argument('[targets...]', 'warm targets to run (see --list), e.g. students stalls')
    .option('-l, --list', 'list the registered warm targets and exit')
    .option('-r, --refresh', 'reload keys that are already cached (after a key rotation, say)')
    .option('-n, --concurrency <n>', 'loaders run at once (env CACHE_WARM_CONCURRENCY, default 8)', (v) =>
      parse.integer(1, 1000)(v, '--concurrency'),
    );
  withConfigOptions(command).action(async (targets: string[], flags: WarmFlags) => {
    process.exitCode = await warmCacheAction(targets, flags, cli);
  });
};

async function warmCacheAction(names: string[], flags: WarmFlags, cli: CliApps): Promise<number> {
  const { overrides, config } = loadCliConfig(flags, { cache: { warmConcurrency: flags.concurrency } }, cli);
  if (config.redis.mode === 'memory') {
    process.stderr.write(
      'plexus: warm-cache fills the shared cache in Redis, and no Redis is configured (REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES); without Redis each server process has a cache of its own.\n',
    );
    return EXIT_CONFIG;
  }
  // Warnings as JSON lines on stderr: stdout carries the progress.
  const logger = pino({ level: 'warn', base: { pid: process.pid } }, pino.destination(2));
  // The applications `plexus start` would install register the warm targets.
  const plexus = createPlexus({
    config: overrides,
    logger,
    apps: selectApps(cli.catalogue, config.server.apps),
  });
  const controller = new AbortController();
  const interrupt = () => controller.abort();
  process.once('SIGINT', interrupt);
  try {
    await plexus.start();
    return await runWarmCache(plexus, names, flags, {
      out: process.stdout,
      err: process.stderr,
      signal: controller.signal,
    });
  } finally {
    process.off('SIGINT', interrupt);
    await plexus.close();
  }
}

/** The command on a started Plexus instance; resolves to the exit code. */
export async function runWarmCache(
  plexus: Plexus,
  names: readonly string[],
  flags: Pick<WarmFlags, 'list' | 'refresh'>,
  io: WarmCacheIO,
): Promise<number> {
  const registry = plexus.cache.warmTargets;
  if (flags.list === true) {
    const targets = registry.list();
    if (targets.length === 0) io.out.write('No warm targets are registered.\n');
    const width = Math.max(0, ...targets.map((t) => t.name.length));
    for (const t of targets) {
      io.out.write(
        `${t.name.padEnd(width)}  namespace ${t.namespace}${t.description ? `  ${t.description}` : ''}\n`,
      );
    }
    return EXIT_OK;
  }
  const chosen = names.length > 0 ? [...new Set(names)] : registry.names();
  const unknown = chosen.filter((name) => !registry.names().includes(name));
  if (unknown.length > 0 || chosen.length === 0) {
    const known = registry.names().join(', ') || 'none';
    io.err.write(
      unknown.length > 0
        ? `plexus: unknown warm target ${unknown.map((n) => JSON.stringify(n)).join(', ')}; registered: ${known}\n`
        : 'plexus: no warm targets are registered\n',
    );
    return EXIT_CONFIG;
  }
  if (plexus.redis.state !== 'ready') {
    io.err.write(
      `plexus: Redis is unavailable (${plexus.redis.reason || plexus.redis.state}); nothing was warmed\n`,
    );
    return EXIT_FAILURE;
  }

  let failed = false;
  for (const name of chosen) {
    if (io.signal?.aborted) break;
    const progress = new Progress({ label: name, stream: io.out });
    const report = await plexus.cache.warmTarget(name, {
      refresh: flags.refresh === true,
      onProgress: (p) => progress.update(p),
      ...(io.signal === undefined ? {} : { signal: io.signal }),
    });
    progress.finish(report, summary(name, report));
    for (const f of report.failures.slice(0, SHOWN_FAILURES))
      io.err.write(`  ${name} ${f.key}: ${f.error}\n`);
    if (report.failed > SHOWN_FAILURES) io.err.write(`  ... and ${report.failed - SHOWN_FAILURES} more\n`);
    failed ||= report.failed > 0 || report.aborted;
  }
  if (io.signal?.aborted) io.err.write('plexus: interrupted; keys warmed so far stay cached\n');
  return failed || io.signal?.aborted ? EXIT_FAILURE : EXIT_OK;
}

function summary(name: string, r: WarmReport): string {
  const n = (x: number) => x.toLocaleString('en-US');
  const state = r.aborted ? 'interrupted after' : 'warmed';
  return `${name}: ${state} ${n(r.done)}${r.total === null ? '' : ` of ${n(r.total)}`} in ${duration(r.elapsedMs)} (${n(Math.round(r.rate))}/s): ${n(r.loaded)} loaded, ${n(r.skipped)} already cached, ${n(r.failed)} failed`;
}
