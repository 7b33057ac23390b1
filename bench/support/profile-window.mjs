/**
 * Preload (`node --import ./bench/support/profile-window.mjs …`) that profiles only a window of a
 * server's life: the first SIGUSR2 starts the V8 CPU profiler (100 µs sampling), the next one
 * stops it and writes `<PROFILE_WINDOW_OUT>.<n>.cpuprofile`, so start-up and warm-up stay out of
 * the profile. Used by bench/cpu-breakdown.ts.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

const out = process.env.PROFILE_WINDOW_OUT ?? `profile-${process.pid}`;
const session = new Session();
session.connect();
let running = false;
let count = 0;

process.on('SIGUSR2', () => {
  if (!running) {
    running = true;
    session.post('Profiler.enable', () =>
      session.post('Profiler.setSamplingInterval', { interval: 100 }, () => session.post('Profiler.start')),
    );
    return;
  }
  running = false;
  session.post('Profiler.stop', (error, result) => {
    if (error) throw error;
    writeFileSync(`${out}.${count++}.cpuprofile`, JSON.stringify(result.profile));
  });
});
