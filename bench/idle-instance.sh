#!/usr/bin/env bash
# What an idle `plexus start` (every bundled application, nobody using it) costs: Redis commands
# per second and the process's CPU, with the pairing job's idle back-off (MATCHMAKING_PAIR_IDLE_MS,
# default 1 s) and, in the same run, without it (MATCHMAKING_PAIR_IDLE_MS=0, every 25 ms tick
# claimed and run). Each Plexus gets a redis-server of its own, so that Redis's INFO commandstats
# counts only its commands (commands inside scripts included, as Redis counts them); its CPU comes
# from /proc. Both are measured over the same window, after a settling time.
#
#   bash bench/idle-instance.sh            # SETTLE=5 WINDOW=20 (seconds)
#
# Plexus runs from dist/ (`npm run build` first), on an embedded SQLite file of its own. Every
# process started here is stopped by its pid.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
# shellcheck source=bench/support/processes.sh
. bench/support/processes.sh
WORK=$(mktemp -d) PIDS=()
clean_up_on_exit
SETTLE=${SETTLE:-5}
WINDOW=${WINDOW:-20}
[ -f dist/src/main.js ] || { echo "dist/ is missing: npm run build" >&2; exit 1; }

VARIANTS=("back-off (default)" "no back-off (MATCHMAKING_PAIR_IDLE_MS=0)")
IDLE_MS=("" "0")
for i in 0 1; do
  start_redis "$i"
  echo "$REDIS_PORT" >"$WORK/redis-$i.port"
  http=$(free_port)
  start "plexus-$i" env DATABASE_URL="sqlite:$WORK/plexus-$i.db" REDIS_URL="$REDIS_URL" \
    LOG_LEVEL=warn HOST=127.0.0.1 PORT="$http" ${IDLE_MS[$i]:+MATCHMAKING_PAIR_IDLE_MS=${IDLE_MS[$i]}} \
    node bin/plexus.js start
  wait_http "plexus-$i" "http://127.0.0.1:$http/api/1/status"
done
sleep "$SETTLE"

calls() { # redis port: every command Redis has run since it started
  redis-cli -p "$1" info commandstats | sed -n 's/.*:calls=\([0-9]*\),.*/\1/p' | awk '{ s += $1 } END { print s + 0 }'
}
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
declare -a C0 T0
for i in 0 1; do
  C0[$i]=$(calls "$(cat "$WORK/redis-$i.port")")
  T0[$i]=$(cpu_ticks "$(cat "$WORK/plexus-$i.pid")")
done
sleep "$WINDOW"
HZ=$(getconf CLK_TCK)
echo "Idle plexus start, every bundled application, over ${WINDOW} s after ${SETTLE} s settling:"
echo ""
echo "| variant | Redis commands/s | CPU % of a core |"
echo "| --- | ---: | ---: |"
for i in 0 1; do
  c=$(calls "$(cat "$WORK/redis-$i.port")")
  t=$(cpu_ticks "$(cat "$WORK/plexus-$i.pid")")
  awk -v name="${VARIANTS[$i]}" -v c="$((c - C0[i]))" -v t="$((t - T0[i]))" -v w="$WINDOW" -v hz="$HZ" \
    'BEGIN { printf "| %s | %.1f | %.2f |\n", name, c / w, 100 * t / hz / w }'
done
