#!/usr/bin/env bash
# Server CPU per request of issue 19's two hot routes, signed-in GET /api/1/auth/me and a cached
# QR PNG, for the built checkout in each DIR, one after the other and round by round:
#   bash bench/hot-ab.sh /path/to/before /path/to/after        # ROUNDS=3 DURATION=5 CONNECTIONS=100
# Every DIR runs as `plexus start` would (all applications, one process, on Redis: REDIS_URL,
# default redis://127.0.0.1:6379, under a key prefix of its own) and all of them run at once, so
# that round r of every DIR meets the same machine. CPU time comes from /proc/<pid>/stat
# (utime + stime, every thread of the server): what other processes use does not count, unlike
# req/s. Each DIR needs its own `npm run build`. Every process started here is stopped by its pid.
# TOGETHER=1 loads every DIR's route at the same time instead of one after the other (CONNECTIONS
# each): on a host whose speed drifts within seconds, the DIRs then meet the same moments, and
# only their CPU per request is comparable (the machine is oversubscribed, req/s is not).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-5}
CONNECTIONS=${CONNECTIONS:-100}
TOGETHER=${TOGETHER:-0}
REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379}
WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
free_port() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }

URLS=()
i=0
for dir in "$@"; do
  port=$(free_port)
  env=(PATH="$PATH" HOME="$HOME" HOST=127.0.0.1 PORT="$port" DATABASE_URL="sqlite:$WORK/$i.db"
    REDIS_URL="$REDIS_URL" REDIS_KEY_PREFIX="hot-ab-$$-$i" LOG_LEVEL=warn)
  (cd "$dir" && printf 'ab-password\n' | env -i "${env[@]}" node bin/plexus.js user add ab@example.com --role staff >/dev/null)
  printf 'id,name\n1,Student One\n' >"$WORK/students.csv"
  (cd "$dir" && env -i "${env[@]}" node bin/plexus.js import students "$WORK/students.csv" >/dev/null)
  (cd "$dir" && exec env -i "${env[@]}" node --max-semi-space-size=8 bin/plexus.js start >"$WORK/$i.log" 2>&1) &
  PIDS+=("$!")
  URLS+=("http://127.0.0.1:$port")
  i=$((i + 1))
done
for url in "${URLS[@]}"; do
  for _ in $(seq 150); do curl -s -o /dev/null "$url/api/1/status" && break; sleep 0.2; done
done

node -e '
const ac = require(process.argv[1]);
const fs = require("fs");
const [rounds, duration, connections, together] = process.argv.slice(2, 5).concat(process.argv[8]).map(Number);
const dirs = JSON.parse(process.argv[5]), urls = JSON.parse(process.argv[6]), pids = JSON.parse(process.argv[7]);
const cpuUs = (pid) => { const f = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" "); return (Number(f[11]) + Number(f[12])) * 10_000; };
const run = (url, seconds, headers = {}) => new Promise((resolve, reject) =>
  ac({ url, connections, duration: seconds, headers }, (e, r) => (e ? reject(e) : resolve(r))));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
(async () => {
  const targets = [];
  for (const [i, base] of urls.entries()) {
    const login = await fetch(`${base}/api/1/auth/login`, { method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ login: "ab@example.com", password: "ab-password" }) });
    if (login.status !== 200) throw new Error(`${base}: sign-in answered ${login.status}`);
    const cookie = login.headers.get("set-cookie").split(";")[0];
    const png = await fetch(`${base}/api/1/qr/students/1.png`);
    if (png.status !== 200) throw new Error(`${base}: the PNG answered ${png.status}`);
    targets.push({ route: "/auth/me", dir: dirs[i], pid: pids[i], url: `${base}/api/1/auth/me`, headers: { cookie }, us: [], rps: [] });
    targets.push({ route: "QR PNG", dir: dirs[i], pid: pids[i], url: `${base}/api/1/qr/students/1.png`, headers: {}, us: [], rps: [] });
  }
  for (const t of targets) await run(t.url, 3, t.headers);
  const measure = async (t) => {
    const before = cpuUs(t.pid);
    const result = await run(t.url, duration, t.headers);
    if (result.non2xx > 0 || result.errors > 0) throw new Error(`${t.url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
    t.us.push((cpuUs(t.pid) - before) / result.requests.total);
    t.rps.push(result.requests.average);
    return result;
  };
  const report = (r, t, result) =>
    console.log(`round ${r + 1}  ${t.route.padEnd(9)} ${t.dir}  ${Math.round(result.requests.average)} req/s  ${t.us.at(-1).toFixed(1)} us/req  p99 ${result.latency.p99} ms`);
  for (let r = 0; r < rounds; r++) {
    if (together) {
      for (const route of ["/auth/me", "QR PNG"]) {
        const group = targets.filter((t) => t.route === route);
        const results = await Promise.all(group.map(measure));
        group.forEach((t, i) => report(r, t, results[i]));
      }
    } else {
      for (const t of targets) report(r, t, await measure(t));
    }
  }
  console.log(`\nmedian of ${rounds} rounds, ${connections} connections, ${duration} s each (server CPU per request from /proc)`);
  for (const t of targets) console.log(`${t.route.padEnd(9)} ${t.dir}  ${median(t.us).toFixed(1)} us/req  (${t.us.map((u) => u.toFixed(1)).join(", ")})  ${Math.round(median(t.rps))} req/s`);
})().catch((e) => { console.error(e); process.exit(1); });
' "$ROOT/node_modules/autocannon" "$ROUNDS" "$DURATION" "$CONNECTIONS" \
  "$(printf '%s\n' "$@" | node -e 'console.log(JSON.stringify(require("fs").readFileSync(0,"utf8").trim().split("\n")))')" \
  "$(printf '%s\n' "${URLS[@]}" | node -e 'console.log(JSON.stringify(require("fs").readFileSync(0,"utf8").trim().split("\n")))')" \
  "$(printf '%s\n' "${PIDS[@]}" | node -e 'console.log(JSON.stringify(require("fs").readFileSync(0,"utf8").trim().split("\n").map(Number)))')" \
  "$TOGETHER"
