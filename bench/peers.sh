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
# and one student, as `plexus start` would serve them. Every process started here is stopped by pid.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PEERS_SRC=${PEERS_SRC:-$ROOT/../shared/peers}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-100}
WORK=$(mktemp -d)
PIDS=()

stop_pid() {
  kill "$1" 2>/dev/null || return 0
  for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$1" 2>/dev/null || true
}
cleanup() {
  for pid in "${PIDS[@]}"; do stop_pid "$pid"; done
  [ -f "$WORK/redis.pid" ] && stop_pid "$(cat "$WORK/redis.pid")"
  rm -rf "$WORK"
}
trap cleanup EXIT
free_port() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }
start() { # name, command...
  local name=$1; shift
  "$@" >"$WORK/$name.log" 2>&1 &
  PIDS+=("$!")
  echo "$!" >"$WORK/$name.pid"
}
wait_http() { # name, url: until the server answers anything
  for _ in $(seq 300); do [ "$(curl -s -o /dev/null -w '%{http_code}' "$2")" != 000 ] && return 0; sleep 0.1; done
  echo "$1 did not start:" >&2; cat "$WORK/$1.log" >&2; exit 1
}

[ -f dist/src/main.js ] || { echo "dist/ is missing: npm run build" >&2; exit 1; }
cp -r "$PEERS_SRC" "$WORK/peers"
(cd "$WORK/peers" && npm ci --no-audit --no-fund --silent)

REDIS_PORT=$(free_port)
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
  --pidfile "$WORK/redis.pid" --logfile "$WORK/redis.log"
for _ in $(seq 50); do [ -s "$WORK/redis.pid" ] && redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
export REDIS_URL="redis://127.0.0.1:$REDIS_PORT" REDIS_PID=$(cat "$WORK/redis.pid")
export PEER_USER=peer@example.com PEER_PASS=peer-password
export HELLO_PORT=$(free_port) SESSIONS_PORT=$(free_port) QR_PORT=$(free_port) PLEXUS_PORT=$(free_port)

start hello env PORT="$HELLO_PORT" node "$WORK/peers/peers/fastify-hello.mjs"
start sessions env PORT="$SESSIONS_PORT" node "$WORK/peers/peers/express-sessions.mjs"
start qr env PORT="$QR_PORT" node "$WORK/peers/peers/seed-qr.mjs"

# Plexus: the same account and one student, on a database file of its own.
PLEXUS_ENV=(DATABASE_URL="sqlite:$WORK/plexus.db" REDIS_KEY_PREFIX=peers LOG_LEVEL=warn HOST=127.0.0.1 PORT="$PLEXUS_PORT")
printf '%s\n' "$PEER_PASS" | env "${PLEXUS_ENV[@]}" node bin/plexus.js user add "$PEER_USER" --role staff >/dev/null
printf 'id,name\n1,Student One\n' >"$WORK/students.csv"
env "${PLEXUS_ENV[@]}" node bin/plexus.js import students "$WORK/students.csv" >/dev/null
start plexus env "${PLEXUS_ENV[@]}" node --max-semi-space-size=8 bin/plexus.js start

wait_http hello "http://127.0.0.1:$HELLO_PORT/hello"
wait_http sessions "http://127.0.0.1:$SESSIONS_PORT/api/1/auth/me"
wait_http qr "http://127.0.0.1:$QR_PORT/api/1/qr/students/1.png"
wait_http plexus "http://127.0.0.1:$PLEXUS_PORT/api/1/status"
export HELLO_PID=$(cat "$WORK/hello.pid") SESSIONS_PID=$(cat "$WORK/sessions.pid") QR_PID=$(cat "$WORK/qr.pid")
export PLEXUS_PID=$(cat "$WORK/plexus.pid")

node "$WORK/peers/bench/run-http.mjs" --targets "$ROOT/bench/targets.peers.json" \
  --rounds "$ROUNDS" --duration "$DURATION" --connections "$CONNECTIONS" --json "$WORK/result.json"

node -e '
const { summary } = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
const rps = (prefix) => summary.find((s) => s.name.startsWith(prefix)).okPerSecMedian;
console.log("");
console.log(`Plexus /me / express-session + connect-redis /me: ${(rps("Plexus GET /api/1/auth/me") / rps("express-sessions")).toFixed(2)}x`);
console.log(`Plexus QR PNG / seed QR service PNG: ${(rps("Plexus GET /api/1/qr") / rps("seed-qr")).toFixed(2)}x`);
' "$WORK/result.json"
