#!/usr/bin/env node
// Summarises the interleaved fan-out runs of bench/realtime/fanout.sh: per system and rate, the median
// over the repeats of p50/p99 latency and delivered msgs/s, completeness summed over the repeats,
// and the ratios the issue sets goals for (Plexus p99 / plain ws p99 at the paced rate, Plexus
// delivered/s / Socket.IO's at saturation).
//   node bench/realtime/summarise.mjs DIR   (files DIR/<system>-<rate>-<repeat>.json)
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
const groups = new Map();
for (const file of readdirSync(dir).filter((f) => /^[a-z-]+-\d+-\d+\.json$/.test(f))) {
  const [, system, rate] = /^([a-z-]+)-(\d+)-\d+\.json$/.exec(file);
  const { runs } = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  const key = `${system}@${rate}`;
  if (!groups.has(key)) groups.set(key, { system, rate: Number(rate), runs: [] });
  groups.get(key).runs.push(...runs);
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const rows = [...groups.values()].map(({ system, rate, runs }) => ({
  system,
  rate,
  repeats: runs.length,
  p50: median(runs.map((r) => r.latencyMs.p50)),
  p99: median(runs.map((r) => r.latencyMs.p99)),
  deliveredPerSec: median(runs.map((r) => r.deliveredPerSec)),
  delivered: runs.reduce((s, r) => s + r.delivered, 0),
  expected: runs.reduce((s, r) => s + r.expected, 0),
  missing: runs.reduce((s, r) => s + r.missing, 0),
  duplicates: runs.reduce((s, r) => s + r.duplicates, 0),
  outOfOrder: runs.reduce((s, r) => s + r.outOfOrder, 0),
  cpu: Object.fromEntries(
    Object.keys(runs[0].cpuPercent).map((k) => [k, median(runs.map((r) => r.cpuPercent[k]))]),
  ),
}));
const order = ['socketio', 'ws', 'plexus', 'plexus-nohistory'];
rows.sort((a, b) => a.rate - b.rate || order.indexOf(a.system) - order.indexOf(b.system));
const f = (x, d = 1) => (typeof x !== 'number' || Number.isNaN(x) ? '–' : x.toFixed(d));
console.log(
  '| system | msgs/s asked | runs | p50 ms | p99 ms | delivered msgs/s | complete | missing | dup | out of order | CPU % (median) |',
);
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const r of rows) {
  const cpu = Object.entries(r.cpu)
    .map(([k, v]) => `${k} ${f(v, 0)}`)
    .join(', ');
  console.log(
    `| ${r.system} | ${r.rate} | ${r.repeats} | ${f(r.p50, 2)} | ${f(r.p99, 2)} | ${f(r.deliveredPerSec, 0)} | ${f((100 * r.delivered) / r.expected, 3)}% | ${r.missing} | ${r.duplicates} | ${r.outOfOrder} | ${cpu} |`,
  );
}
const get = (system, rate) => rows.find((r) => r.system === system && r.rate === rate);
const rates = [...new Set(rows.map((r) => r.rate))];
console.log('');
for (const plexus of ['plexus', 'plexus-nohistory']) {
  for (const rate of rates) {
    const p = get(plexus, rate);
    const ws = get('ws', rate);
    const sio = get('socketio', rate);
    if (!p) continue;
    console.log(
      `${plexus} at ${rate}/s: p99 / plain-ws p99 = ${ws ? f(p.p99 / ws.p99, 2) : '–'} (goal ≤ 1), ` +
        `p99 / Socket.IO p99 = ${sio ? f(p.p99 / sio.p99, 2) : '–'}, ` +
        `delivered/s / Socket.IO = ${sio ? f(p.deliveredPerSec / sio.deliveredPerSec, 2) : '–'} (goal ≥ 1.3 at saturation), ` +
        `delivered/s / plain ws = ${ws ? f(p.deliveredPerSec / ws.deliveredPerSec, 2) : '–'}`,
    );
  }
}
