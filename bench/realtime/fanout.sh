#!/usr/bin/env bash
# Realtime fan-out, Plexus side by side with the peers users would pick instead (../shared/peers,
# read its README), in one run: Socket.IO 4 + @socket.io/redis-adapter, hand-written ws + Redis
# pub/sub (the floor), and Plexus's realtime hub (reference server, endpoint `bench` created at
# runtime through the admin REST API; `bench` keeps history and offsets, `bench-nohistory` does not).
# Two instances of each on one Redis of its own; the peers' fan-out harness (200 receivers over the
# two instances, publisher on the first, 2,000 messages at 1,000/s and at 5,000/s = saturation),
# the systems interleaved run by run, REPEAT times. Then memory per idle connection: IDLE idle
# connections on one instance of Plexus and of the ws peer. Prints the harness's summary table and
# the Plexus/peer ratios; raw JSON stays in $KEEP when set.
#
#   npm run build && bash bench/realtime/fanout.sh
#   REPEAT=1 RATES="1000" IDLE=2000 bash bench/realtime/fanout.sh     # quick check
#
# Plexus runs from dist/ (as bench/peers.sh does, with `npm start`'s node flags). Every process
# started here is stopped by its pid.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
PEERS_SRC=${PEERS_SRC:-$ROOT/../shared/peers}
REPEAT=${REPEAT:-3}
RATES=${RATES:-"1000 5000"}
CLIENTS=${CLIENTS:-200}
MESSAGES=${MESSAGES:-2000}
IDLE=${IDLE:-10000}
SYSTEMS=${SYSTEMS:-"socketio ws plexus plexus-nohistory"}
ADMIN_TOKEN=bench-admin-token-0123456789
WORK=$(mktemp -d)
PIDS=()

ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

# shellcheck source=bench/support/processes.sh
. "$ROOT/bench/support/processes.sh"
cleanup() {
  stop_started
  if [ -n "${KEEP:-}" ]; then mkdir -p "$KEEP" && cp "$WORK"/*.json "$WORK"/*.log "$KEEP"/ 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
wait_log() { # name, pattern
  for _ in $(seq 600); do
    grep -q "$2" "$WORK/$1.log" 2>/dev/null && return 0
    kill -0 "$(cat "$WORK/$1.pid")" 2>/dev/null || { echo "$1 died:" >&2; cat "$WORK/$1.log" >&2; exit 1; }
    sleep 0.1
  done
  echo "$1 did not start:" >&2; cat "$WORK/$1.log" >&2; exit 1
}
wait_ok() { # name, url: until the server answers 200 (60 s)
  for _ in $(seq 600); do [ "$(curl -s -o /dev/null -w '%{http_code}' "$2")" = 200 ] && return 0; sleep 0.1; done
  echo "$1 did not start:" >&2; cat "$WORK/$1.log" >&2; exit 1
}

[ -f dist/src/main.js ] || { echo "dist/ is missing: npm run build" >&2; exit 1; }
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg); nproc $(nproc); node $(node --version)"
copy_peers "$PEERS_SRC"
HARNESS="$WORK/peers/peers/socketio-fanout/fanout-load.mjs"

start_redis

SIO_A=$(free_port) SIO_B=$(free_port) WS_A=$(free_port) WS_B=$(free_port) PX_A=$(free_port) PX_B=$(free_port)
start sio_a env PORT="$SIO_A" node "$WORK/peers/peers/socketio-fanout/server.mjs"
start sio_b env PORT="$SIO_B" node "$WORK/peers/peers/socketio-fanout/server.mjs"
start ws_a env PORT="$WS_A" node "$WORK/peers/peers/ws-fanout/server.mjs"
start ws_b env PORT="$WS_B" node "$WORK/peers/peers/ws-fanout/server.mjs"
PLEXUS_ENV=(DATABASE_URL="sqlite:$WORK/plexus.db" REDIS_KEY_PREFIX=rtbench LOG_LEVEL=warn HOST=127.0.0.1
  PLEXUS_ADMIN_TOKEN="$ADMIN_TOKEN")
# One instance first, so that the database's migrations run once.
start px_a env "${PLEXUS_ENV[@]}" PORT="$PX_A" node --max-semi-space-size=8 bin/plexus.js start
wait_ok px_a "http://127.0.0.1:$PX_A/api/1/status"
start px_b env "${PLEXUS_ENV[@]}" PORT="$PX_B" node --max-semi-space-size=8 bin/plexus.js start
wait_log sio_a listening; wait_log sio_b listening; wait_log ws_a listening; wait_log ws_b listening
wait_ok px_b "http://127.0.0.1:$PX_B/api/1/status"
for spec in 'bench {"clientPublish":["broadcast"],"history":true,"ratePerSecond":1000000}' \
  'bench-nohistory {"clientPublish":["broadcast"],"history":false,"ratePerSecond":1000000}'; do
  name=${spec%% *}
  curl -sf -X PUT "http://127.0.0.1:$PX_A/api/1/admin/ws/endpoints/$name" -H "authorization: Bearer $ADMIN_TOKEN" \
    -H 'content-type: application/json' -d "${spec#* }" >/dev/null || { echo "could not create endpoint $name" >&2; exit 1; }
done
pid() { cat "$WORK/$1.pid"; }

run() { # system, rate, repeat
  local system=$1 rate=$2 rep=$3 transport urls pids protocol=()
  case $system in
    socketio) transport=socketio-lite; urls="http://127.0.0.1:$SIO_A,http://127.0.0.1:$SIO_B"; pids="A=$(pid sio_a),B=$(pid sio_b)" ;;
    ws) transport=ws; urls="ws://127.0.0.1:$WS_A,ws://127.0.0.1:$WS_B"; pids="A=$(pid ws_a),B=$(pid ws_b)" ;;
    plexus) transport=ws; protocol=(--protocol "$ROOT/bench/realtime/plexus-protocol.mjs")
      urls="ws://127.0.0.1:$PX_A/api/1/ws/bench,ws://127.0.0.1:$PX_B/api/1/ws/bench"; pids="A=$(pid px_a),B=$(pid px_b)" ;;
    plexus-nohistory) transport=ws; protocol=(--protocol "$ROOT/bench/realtime/plexus-protocol.mjs")
      urls="ws://127.0.0.1:$PX_A/api/1/ws/bench-nohistory,ws://127.0.0.1:$PX_B/api/1/ws/bench-nohistory"; pids="A=$(pid px_a),B=$(pid px_b)" ;;
  esac
  local name
  for name in ${pids//,/ }; do
    kill -0 "${name#*=}" 2>/dev/null || { echo "--- $system at $rate msgs/s, repeat $rep: SKIPPED, server ${name%%=*} died (see its log)"; return 0; }
  done
  echo "--- $system at $rate msgs/s, repeat $rep (load $(cut -d' ' -f1 /proc/loadavg))"
  node "$HARNESS" --transport "$transport" --urls "$urls" "${protocol[@]}" --clients "$CLIENTS" --messages "$MESSAGES" \
    --rate "$rate" --repeat 1 --pids "$pids,redis=$REDIS_PID" --json "$WORK/$system-$rate-$rep.json" 2>>"$WORK/harness.log" \
    | grep -E 'delivered|latency|CPU' || echo "(exit code $? — some deliveries missing, see the table)"
}

for rep in $(seq "$REPEAT"); do
  for rate in $RATES; do
    for system in $SYSTEMS; do run "$system" "$rate" "$rep"; done
  done
done

echo ""
echo "## Fan-out: $CLIENTS receivers over two instances, $MESSAGES messages, medians of $REPEAT interleaved runs"
echo ""
node "$ROOT/bench/realtime/summarise.mjs" "$WORK"

echo ""
echo "## Memory per idle connection ($IDLE connections on one instance)"
# The other instances are stopped first so that they do not compete; Redis stays.
for name in sio_a sio_b ws_b px_b; do stop_pid "$(pid "$name")"; done
# A server that died under the fan-out load is started again for this measurement.
if ! kill -0 "$(pid ws_a)" 2>/dev/null; then
  start ws_a env PORT="$WS_A" node "$WORK/peers/peers/ws-fanout/server.mjs"; wait_log ws_a listening
fi
node "$ROOT/bench/realtime/idle-memory.mjs" --label "ws + Redis peer" --url "ws://127.0.0.1:$WS_A" --pid "$(pid ws_a)" \
  --count "$IDLE" --send '{"type":"subscribe","channel":"bench"}' --ready '"type":"subscribed"' | tee "$WORK/idle-ws.json" || true
stop_pid "$(pid ws_a)"
node "$ROOT/bench/realtime/idle-memory.mjs" --label "Plexus (bench endpoint)" --url "ws://127.0.0.1:$PX_A/api/1/ws/bench" \
  --pid "$(pid px_a)" --count "$IDLE" --ready '"t":"welcome"' | tee "$WORK/idle-plexus.json" || true
node -e '
const [ws, px] = process.argv.slice(1).map((f) => { try { return JSON.parse(require("fs").readFileSync(f, "utf8")); } catch { return undefined; } });
if (!px) { console.log("Plexus idle measurement failed"); process.exit(0); }
console.log(`Plexus bytes per idle connection: ${px.bytesPerConnection} (goal ≤ 10240)` + (ws ? `; ws peer: ${ws.bytesPerConnection}; ratio ${(px.bytesPerConnection / ws.bytesPerConnection).toFixed(2)}` : "; ws peer measurement failed"));
' "$WORK/idle-ws.json" "$WORK/idle-plexus.json"
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
