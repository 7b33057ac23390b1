/**
 * V8 flags the CLI gives the processes it starts (cluster workers; `npm start` and
 * ecosystem.config.cjs pass the same). A young generation of 8 MB semi-spaces instead of V8's
 * 16 MB keeps an idle server about 20 MB smaller with no measurable throughput cost on the
 * reference routes (docs/benchmarks.md). A flag the user already set, on the command line or in
 * NODE_OPTIONS, wins.
 */
export const SEMI_SPACE_FLAG = '--max-semi-space-size=8';

export function workerExecArgv(
  execArgv: readonly string[],
  nodeOptions = process.env.NODE_OPTIONS ?? '',
): string[] {
  const set = [...execArgv, nodeOptions].some((arg) => arg.includes('--max-semi-space-size'));
  return set ? [...execArgv] : [...execArgv, SEMI_SPACE_FLAG];
}
