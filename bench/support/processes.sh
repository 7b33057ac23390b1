# Sourced by the shell benchmarks that run the peers (bench/peers.sh, bench/realtime/fanout.sh):
# processes started in the background and stopped by their pid, free ports, a Redis of their own,
# and a writable copy of ../shared/peers with its dependencies. Needs WORK (a temporary directory)
# and the PIDS array set by the caller (and ROOT, the repository, for harness_defaults).

stop_pid() { # pid: SIGTERM, then SIGKILL after 5 s
  kill "$1" 2>/dev/null || return 0
  for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$1" 2>/dev/null || true
}
stop_started() { # every process started here, then the Redis
  for pid in "${PIDS[@]}"; do stop_pid "$pid"; done
  [ -f "$WORK/redis.pid" ] && stop_pid "$(cat "$WORK/redis.pid")"
  return 0
}
free_port() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }
start() { # name, command...: in the background, output in $WORK/<name>.log, pid in $WORK/<name>.pid
  local name=$1; shift
  "$@" >"$WORK/$name.log" 2>&1 &
  PIDS+=("$!")
  echo "$!" >"$WORK/$name.pid"
}
start_redis() { # [name]: on a free port; sets REDIS_PORT, REDIS_PID and exports REDIS_URL
  # A named one (several in one script) is stopped with the processes started here.
  local file=$WORK/redis${1:+-$1}
  REDIS_PORT=$(free_port)
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
    --pidfile "$file.pid" --logfile "$file.log"
  for _ in $(seq 50); do [ -s "$file.pid" ] && redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
  REDIS_PID=$(cat "$file.pid")
  [ -z "${1:-}" ] || PIDS+=("$REDIS_PID")
  export REDIS_URL="redis://127.0.0.1:$REDIS_PORT"
}
copy_peers() { # source folder: copied to $WORK/peers (../shared may be read-only), dependencies installed
  cp -r "$1" "$WORK/peers"
  (cd "$WORK/peers" && npm ci --no-audit --no-fund --silent)
}
harness_defaults() { # the peers' HTTP harness settings (bench/run-http.mjs there), from the environment
  PEERS_SRC=${PEERS_SRC:-$ROOT/../shared/peers}
  ROUNDS=${ROUNDS:-3}
  DURATION=${DURATION:-10}
  CONNECTIONS=${CONNECTIONS:-100}
}
clean_up_on_exit() { # when the script exits: every process started here stopped, WORK removed
  trap 'stop_started; rm -rf "$WORK"' EXIT
}
wait_http() { # name, url: until the server answers anything; its log and exit 1 if it never does
  for _ in $(seq 300); do [ "$(curl -s -o /dev/null -w '%{http_code}' "$2")" != 000 ] && return 0; sleep 0.1; done
  echo "$1 did not start:" >&2; cat "$WORK/$1.log" >&2; exit 1
}
seed_plexus() { # VAR=value...: the peers' account (PEER_USER, PEER_PASS) and one student, for the Plexus of that environment
  printf '%s\n' "$PEER_PASS" | env "$@" node bin/plexus.js user add "$PEER_USER" --role staff >/dev/null
  printf 'id,name\n1,Student One\n' >"$WORK/students.csv"
  env "$@" node bin/plexus.js import students "$WORK/students.csv" >/dev/null
}
