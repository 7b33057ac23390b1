/**
 * `Date.now()` to within COARSE_TICK_MS, read without calling it: in V8, `Date.now()` returns a
 * heap number (its value does not fit a small integer), an allocation per call, which the
 * per-call hot paths (feature flag evaluation through `CacheEngine.peeker`) must not make. The
 * clock runs while some hot path uses it (`useCoarseClock`), on an unref'd timer; it lags the
 * real time by at most the tick plus whatever delays the event loop, so an entry may be served
 * that much past its expiry — nothing next to the TTLs it checks (seconds).
 */
export const COARSE_TICK_MS = 20;

/** Milliseconds since the epoch, updated every COARSE_TICK_MS while the clock runs. */
export let coarseNow = Date.now();
let timer: NodeJS.Timeout | undefined;

/** Starts the clock (once per process; it never keeps the process alive). */
export function useCoarseClock(): void {
  if (timer !== undefined) return;
  coarseNow = Date.now();
  timer = setInterval(() => {
    coarseNow = Date.now();
  }, COARSE_TICK_MS);
  timer.unref();
}
