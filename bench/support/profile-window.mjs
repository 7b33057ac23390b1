/**
 * Preload (`node --import ./bench/support/profile-window.mjs …`) that profiles only a window of a
 * server's life: the first SIGUSR2 starts the V8 CPU profiler (100 µs sampling), the next one
 * stops it and writes `<PROFILE_WINDOW_OUT>.<n>.cpuprofile`, so start-up and warm-up stay out of
 * the profile. Used by bench/cpu-breakdown.ts.
 *
 * With PROFILE_WINDOW_HEAP=1 the same window also samples allocations, including the objects the
 * garbage collector has already freed (which is what a request's garbage is), and writes
 * `<PROFILE_WINDOW_OUT>.<n>.heapprofile` (open in Chrome DevTools, or sum `selfSize` by frame).
 *
 * Every process that loads this (the workers of `plexus start --workers N` each do) appends its
 * pid to the file name when PROFILE_WINDOW_PID=1, so that two workers never write the same file.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

const base = process.env.PROFILE_WINDOW_OUT ?? 'profile';
const out =
  process.env.PROFILE_WINDOW_PID === '1' || process.env.PROFILE_WINDOW_OUT === undefined
    ? `${base}-${process.pid}`
    : base;
const heap = process.env.PROFILE_WINDOW_HEAP === '1';
const session = new Session();
session.connect();
let running = false;
let count = 0;

const post = (method, params = {}) =>
  new Promise((resolve, reject) =>
    session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))),
  );

process.on('SIGUSR2', async () => {
  if (!running) {
    running = true;
    await post('Profiler.enable');
    await post('Profiler.setSamplingInterval', { interval: 100 });
    if (heap) {
      await post('HeapProfiler.enable');
      await post('HeapProfiler.startSampling', {
        samplingInterval: 512,
        includeObjectsCollectedByMajorGC: true,
        includeObjectsCollectedByMinorGC: true,
      });
    }
    await post('Profiler.start');
    return;
  }
  running = false;
  const n = count++;
  const { profile } = await post('Profiler.stop');
  writeFileSync(`${out}.${n}.cpuprofile`, JSON.stringify(profile));
  if (heap) {
    const { profile: sampled } = await post('HeapProfiler.stopSampling');
    writeFileSync(`${out}.${n}.heapprofile`, JSON.stringify(sampled));
  }
});
