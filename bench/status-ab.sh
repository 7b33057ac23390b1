#!/usr/bin/env bash
# Server CPU per request of GET /api/1/status (memory mode, 50 connections, 3 runs of 5 s after a
# 3 s warm-up) for the built checkout in each DIR, one after the other: run it as
#   bash bench/status-ab.sh /path/to/before /path/to/after /path/to/before /path/to/after
# so that both versions meet the same machine drift. Each DIR needs its own `npm run build`.
# CPU time comes from /proc/<pid>/stat (utime + stime), so other processes' load does not count.
set -euo pipefail
AUTOCANNON=$(cd "$(dirname "$0")/.." && pwd)/node_modules/autocannon
for dir in "$@"; do
  work=$(mktemp -d)
  port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
  (cd "$dir" && env -i PATH="$PATH" HOME="$HOME" HOST=127.0.0.1 PORT="$port" DATABASE_URL="sqlite:$work/p.db" \
    REDIS_MODE=memory LOG_LEVEL=warn node --max-semi-space-size=8 bin/plexus.js start >"$work/log" 2>&1) &
  pid=$!
  for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/api/1/status" && break; sleep 0.2; done
  server=$(pgrep -P "$pid" -f 'bin/plexus.js start' || echo "$pid")
  node -e '
const [ac, url, pid, label] = [require(process.argv[1]), process.argv[2], process.argv[3], process.argv[4]];
const fs = require("fs");
const cpuUs = () => { const f = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" "); return (Number(f[11]) + Number(f[12])) * 10_000; };
const run = (duration) => new Promise((resolve) => ac({ url, connections: 50, duration }, (_e, r) => resolve(r)));
(async () => {
  await run(3);
  for (let i = 0; i < 3; i++) {
    const before = cpuUs();
    const r = await run(5);
    console.log(`${label}  ${Math.round(r.requests.average)} req/s  ${((cpuUs() - before) / r.requests.total).toFixed(1)} us/req`);
  }
})();' "$AUTOCANNON" "http://127.0.0.1:$port/api/1/status" "$server" "$dir"
  kill "$server" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rm -rf "$work"
done
