#!/usr/bin/env bash
# Plexus side by side with the peers users would pick instead (../shared/peers, read its README),
# in one interleaved run of the peers' own HTTP harness (bench/run-http.mjs there): a bare Fastify
# route first (the baseline every ratio is to), then signed-in GET /api/1/auth/me on
# express-session + connect-redis and on Plexus, then a cached QR PNG on the seed's QR service and
# on Plexus. Every server gets one process and one Redis of its own (a redis-server started here),
# and the harness samples each server's CPU. Prints the harness's table, then Plexus/peer ratios.
#
#   bash bench/peers.sh                      # ROUNDS=3 DURATION=10 CONNECTIONS=100 (the peers' defaults)
#   ROUNDS=5 DURATION=5 bash bench/peers.sh
#
# Plexus runs from dist/ (`npm run build` first), on the embedded SQLite database with one account
# and one student, as `plexus start` would serve them; a second Plexus process, with
# PLEXUS_FAST_LANE=false, serves the same two routes through Fastify only (the before of the fast
# lane, src/server/fast-lane.ts). Every process started here is stopped by pid.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
WORK=$(mktemp -d)
PIDS=()

# shellcheck source=bench/support/processes.sh
. "$ROOT/bench/support/processes.sh"
harness_defaults
clean_up_on_exit

[ -f dist/src/main.js ] || { echo "dist/ is missing: npm run build" >&2; exit 1; }
copy_peers "$PEERS_SRC"

start_redis
export REDIS_PID
export PEER_USER=peer@example.com PEER_PASS=peer-password
export HELLO_PORT=$(free_port) SESSIONS_PORT=$(free_port) QR_PORT=$(free_port) PLEXUS_PORT=$(free_port)
export PLEXUS_OFF_PORT=$(free_port)

start hello env PORT="$HELLO_PORT" node "$WORK/peers/peers/fastify-hello.mjs"
start sessions env PORT="$SESSIONS_PORT" node "$WORK/peers/peers/express-sessions.mjs"
start qr env PORT="$QR_PORT" node "$WORK/peers/peers/seed-qr.mjs"

# Plexus: the same account and one student, on a database file of its own.
PLEXUS_ENV=(DATABASE_URL="sqlite:$WORK/plexus.db" REDIS_KEY_PREFIX=peers LOG_LEVEL=warn HOST=127.0.0.1 PORT="$PLEXUS_PORT")
seed_plexus "${PLEXUS_ENV[@]}"
start plexus env "${PLEXUS_ENV[@]}" node --max-semi-space-size=8 bin/plexus.js start
start plexus-off env "${PLEXUS_ENV[@]}" PORT="$PLEXUS_OFF_PORT" PLEXUS_FAST_LANE=false \
  node --max-semi-space-size=8 bin/plexus.js start

wait_http hello "http://127.0.0.1:$HELLO_PORT/hello"
wait_http sessions "http://127.0.0.1:$SESSIONS_PORT/api/1/auth/me"
wait_http qr "http://127.0.0.1:$QR_PORT/api/1/qr/students/1.png"
wait_http plexus "http://127.0.0.1:$PLEXUS_PORT/api/1/status"
wait_http plexus-off "http://127.0.0.1:$PLEXUS_OFF_PORT/api/1/status"
export HELLO_PID=$(cat "$WORK/hello.pid") SESSIONS_PID=$(cat "$WORK/sessions.pid") QR_PID=$(cat "$WORK/qr.pid")
export PLEXUS_PID=$(cat "$WORK/plexus.pid") PLEXUS_OFF_PID=$(cat "$WORK/plexus-off.pid")

node "$WORK/peers/bench/run-http.mjs" --targets "$ROOT/bench/targets.peers.json" \
  --rounds "$ROUNDS" --duration "$DURATION" --connections "$CONNECTIONS" --json "$WORK/result.json"

node -e '
const { summary } = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
const rps = (prefix) => summary.find((s) => s.name.startsWith(prefix)).okPerSecMedian;
console.log("");
console.log(`Plexus /me / express-session + connect-redis /me: ${(rps("Plexus GET /api/1/auth/me") / rps("express-sessions")).toFixed(2)}x`);
console.log(`Plexus QR PNG / seed QR service PNG: ${(rps("Plexus GET /api/1/qr") / rps("seed-qr")).toFixed(2)}x`);
console.log(`Plexus /me, fast lane on / off: ${(rps("Plexus GET /api/1/auth/me") / rps("Plexus (PLEXUS_FAST_LANE=false) GET /api/1/auth/me")).toFixed(2)}x`);
console.log(`Plexus QR PNG, fast lane on / off: ${(rps("Plexus GET /api/1/qr") / rps("Plexus (PLEXUS_FAST_LANE=false) GET /api/1/qr")).toFixed(2)}x`);
console.log("");
console.log("Server CPU per request (median CPU % over median req/s):");
for (const s of summary) console.log(`  ${s.name}: ${((s.cpuMedian.server / 100 / s.okPerSecMedian) * 1e6).toFixed(1)} us`);
' "$WORK/result.json"
