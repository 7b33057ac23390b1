#!/usr/bin/env node
// Memory per idle WebSocket connection on one server process: opens N connections, waits until each
// is ready, lets the server settle, and reports the server's RSS growth divided by N.
//
//   node bench/realtime/idle-memory.mjs --url ws://127.0.0.1:PORT/api/1/ws/bench --pid PID \
//        [--count 10000] [--ready '"t":"welcome"'] [--send '{"type":"subscribe","channel":"bench"}'] [--label name]
//
// --ready: a substring of the frame that says the connection is set up on the server (default: the
// open event is enough); --send: a frame sent right after opening. Prints one JSON line.
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, arg, i, all) => {
    if (arg.startsWith('--')) pairs.push([arg.slice(2), all[i + 1]?.startsWith('--') ? 'true' : all[i + 1]]);
    return pairs;
  }, []),
);
const url = args.url;
const pid = Number(args.pid);
const count = Number(args.count ?? 10_000);
const ready = args.ready;
const batch = Number(args.batch ?? 200);
if (!url || !pid) {
  console.error(
    'usage: idle-memory.mjs --url WS_URL --pid SERVER_PID [--count N] [--ready SUBSTRING] [--send FRAME]',
  );
  process.exit(2);
}

const rssKb = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
const open = () =>
  new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    const timer = setTimeout(() => reject(new Error('not ready within 30 s')), 30_000);
    const done = () => {
      clearTimeout(timer);
      resolve(ws);
    };
    ws.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    ws.once('open', () => {
      if (args.send) ws.send(args.send);
      if (!ready) done();
    });
    if (ready)
      ws.on('message', (data) => {
        if (data.toString().includes(ready)) done();
      });
  });

// One connection first, so that what every endpoint sets up once (subscriptions, caches) is in the baseline.
const sockets = [await open()];
await sleep(3000);
const before = rssKb();
const started = Date.now();
while (sockets.length < count + 1) {
  const n = Math.min(batch, count + 1 - sockets.length);
  sockets.push(...(await Promise.all(Array.from({ length: n }, open))));
}
const openMs = Date.now() - started;
await sleep(5000);
const after = rssKb();
console.log(
  JSON.stringify({
    label: args.label ?? url,
    connections: count,
    openSeconds: Number((openMs / 1000).toFixed(1)),
    rssBeforeMiB: Number((before / 1024).toFixed(1)),
    rssAfterMiB: Number((after / 1024).toFixed(1)),
    bytesPerConnection: Math.round(((after - before) * 1024) / count),
  }),
);
for (const ws of sockets) ws.terminate();
await sleep(200);
process.exit(0);
