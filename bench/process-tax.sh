#!/usr/bin/env bash
# What a running Plexus process costs each request apart from its routes' own work: the peers'
# bare Fastify route (`GET /hello`) in a process of its own, the same route served from inside a
# running `plexus start` (bench/support/sidecar.mjs, on a port of its own, no Plexus hook on it),
# then Plexus's signed-in `GET /api/1/auth/me` and cached QR PNG from that same process, in one
# interleaved run of the peers' HTTP harness (../shared/peers, bench/run-http.mjs there). Server
# CPU per request is the harness's median CPU % over the median req/s.
#
#   bash bench/process-tax.sh          # ROUNDS=3 DURATION=10 CONNECTIONS=100
#   APPS_B=qr bash bench/process-tax.sh  # also the bare route inside a second `plexus start` with
#                                        # PLEXUS_APPS=qr (only those applications, so only their jobs)
#   B_ENV='REDIS_MODE=memory' bash bench/process-tax.sh   # the same, with these settings instead
#                                        # (space-separated VAR=value; e.g. MATCHMAKING_PAIR_IDLE_MS=0)
#
# If the bare route costs about the same inside Plexus, the gap between Plexus's routes and the
# bare one is per-request work; if it costs more there, that part is the process (background
# jobs, heap and garbage collection, timers). Plexus runs from dist/ (`npm run build` first), on
# Redis (a redis-server started here). Every process started here is stopped by its pid.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
# shellcheck source=bench/support/processes.sh
. bench/support/processes.sh
WORK=$(mktemp -d) PIDS=()
clean_up_on_exit
harness_defaults

[ -f dist/src/main.js ] || { echo "dist/ is missing: npm run build" >&2; exit 1; }
copy_peers "$PEERS_SRC"
start_redis
export PEER_USER=peer@example.com PEER_PASS=peer-password
HELLO_PORT=$(free_port) SIDECAR_PORT=$(free_port) PLEXUS_PORT=$(free_port)

start_with_sidecar() { # name, sidecar port, VAR=value...: `plexus start` serving the bare route on the sidecar port too
  local name=$1 sidecar=$2
  shift 2
  start "$name" env "$@" SIDECAR_PORT="$sidecar" \
    node --max-semi-space-size=8 --import "$ROOT/bench/support/sidecar.mjs" bin/plexus.js start
  wait_http "$name" "http://127.0.0.1:$sidecar/hello"
}
bare_target() { # name, port, pid: the harness target of the bare route on that port, counted against that pid
  printf '{ "name": "%s", "url": "http://127.0.0.1:%s/hello",\n' "$1" "$2"
  printf '  "expect": { "status": 200, "bodyIncludes": "\\"ok\\":true" }, "pids": { "server": "%s" } },\n' "$3"
}

start hello env PORT="$HELLO_PORT" node "$WORK/peers/peers/fastify-hello.mjs"
wait_http hello "http://127.0.0.1:$HELLO_PORT/hello"
PLEXUS_ENV=(DATABASE_URL="sqlite:$WORK/plexus.db" REDIS_KEY_PREFIX=tax LOG_LEVEL=warn HOST=127.0.0.1 PORT="$PLEXUS_PORT")
seed_plexus "${PLEXUS_ENV[@]}"
start_with_sidecar plexus "$SIDECAR_PORT" "${PLEXUS_ENV[@]}"
wait_http plexus "http://127.0.0.1:$PLEXUS_PORT/api/1/status"
export HELLO_PID=$(cat "$WORK/hello.pid") PLEXUS_PID=$(cat "$WORK/plexus.pid") REDIS_PID

BARE_TARGETS=$(bare_target "bare Fastify GET /hello, own process (baseline)" "$HELLO_PORT" "$HELLO_PID"
  bare_target "bare Fastify GET /hello, inside plexus start" "$SIDECAR_PORT" "$PLEXUS_PID")
if [ -n "${APPS_B+set}" ] || [ -n "${B_ENV:-}" ]; then
  if [ -n "${B_ENV:-}" ]; then read -r -a B_SETTINGS <<<"$B_ENV"; else B_SETTINGS=("PLEXUS_APPS=$APPS_B"); fi
  SIDECAR_B_PORT=$(free_port)
  start_with_sidecar plexus-b "$SIDECAR_B_PORT" DATABASE_URL="sqlite:$WORK/plexus-b.db" REDIS_KEY_PREFIX=tax-b \
    LOG_LEVEL=warn HOST=127.0.0.1 PORT="$(free_port)" "${B_SETTINGS[@]}"
  BARE_TARGETS+=$'\n'$(bare_target "bare Fastify GET /hello, inside plexus start with ${B_SETTINGS[*]}" \
    "$SIDECAR_B_PORT" "$(cat "$WORK/plexus-b.pid")")
fi

cat >"$WORK/targets.json" <<JSON
{
  "targets": [
$BARE_TARGETS
    { "name": "Plexus GET /api/1/auth/me (signed in)", "url": "http://127.0.0.1:$PLEXUS_PORT/api/1/auth/me",
      "setup": [ { "method": "POST", "url": "http://127.0.0.1:$PLEXUS_PORT/api/1/auth/login",
        "json": { "login": "$PEER_USER", "password": "$PEER_PASS" }, "expectStatus": 200, "captureCookies": true } ],
      "expect": { "status": 200, "bodyIncludes": "\"login\"" }, "pids": { "server": "$PLEXUS_PID" } },
    { "name": "Plexus GET /api/1/qr/students/1.png (warm)", "url": "http://127.0.0.1:$PLEXUS_PORT/api/1/qr/students/1.png",
      "setup": [ { "method": "GET", "url": "http://127.0.0.1:$PLEXUS_PORT/api/1/qr/students/1.png", "expectStatus": 200 } ],
      "expect": { "status": 200, "contentType": "image/png" }, "pids": { "server": "$PLEXUS_PID" } }
  ]
}
JSON
node "$WORK/peers/bench/run-http.mjs" --targets "$WORK/targets.json" \
  --rounds "$ROUNDS" --duration "$DURATION" --connections "$CONNECTIONS" --json "$WORK/result.json"

node -e '
const { summary } = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
console.log("\nserver CPU per request (median CPU % / median req/s):");
for (const s of summary) console.log(`  ${s.name}: ${((s.cpuMedian.server * 1e4) / s.okPerSecMedian).toFixed(1)} us`);
' "$WORK/result.json"
