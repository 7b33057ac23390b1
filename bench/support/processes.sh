# Sourced by the shell benchmarks that run the peers (bench/peers.sh, bench/realtime/fanout.sh):
# processes started in the background and stopped by their pid, free ports, a Redis of their own,
# and a writable copy of ../shared/peers with its dependencies. Needs WORK (a temporary directory)
# and the PIDS array set by the caller.

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
start_redis() { # on a free port; sets REDIS_PORT, REDIS_PID and exports REDIS_URL
  REDIS_PORT=$(free_port)
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
    --pidfile "$WORK/redis.pid" --logfile "$WORK/redis.log"
  for _ in $(seq 50); do [ -s "$WORK/redis.pid" ] && redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
  REDIS_PID=$(cat "$WORK/redis.pid")
  export REDIS_URL="redis://127.0.0.1:$REDIS_PORT"
}
copy_peers() { # source folder: copied to $WORK/peers (../shared may be read-only), dependencies installed
  cp -r "$1" "$WORK/peers"
  (cd "$WORK/peers" && npm ci --no-audit --no-fund --silent)
}
