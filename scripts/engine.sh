#!/usr/bin/env bash
# A project-private Docker engine for development and tests: its own socket, data root, exec root
# and pidfile, so tests never touch a user's engine.
#   scripts/engine.sh start   start it (or reuse one already answering on the socket)
#   scripts/engine.sh stop    stop it by its pid (only what `start` started)
#   scripts/engine.sh status  exit 0 when it answers /_ping
#   scripts/engine.sh host    print the DOCKER_HOST value (unix://...)
# VPE_ENGINE_DIR (default /var/lib/vpe-engine) holds everything; its output goes to dockerd.log
# there, never to the caller's terminal (a background process holding CI's pipe hangs CI).
set -euo pipefail

DIR="${VPE_ENGINE_DIR:-/var/lib/vpe-engine}"
SOCK="$DIR/docker.sock"
PIDFILE="$DIR/dockerd.pid"
LOG="$DIR/dockerd.log"

ping_engine() {
  [ -S "$SOCK" ] && curl -fsS --max-time 2 --unix-socket "$SOCK" http://localhost/_ping >/dev/null 2>&1
}

start() {
  mkdir -p "$DIR/root" "$DIR/exec"
  if ping_engine; then
    echo "engine: reusing the engine on unix://$SOCK"
    return 0
  fi
  if [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
    echo "engine: dockerd $(cat "$PIDFILE") is running but does not answer; stopping it" >&2
    stop
  fi
  rm -f "$SOCK" "$PIDFILE"
  command -v dockerd >/dev/null || PATH="$PATH:/usr/sbin:/sbin"
  # Own process group, no inherited stdin/stdout/stderr: nothing of ours keeps the caller waiting.
  setsid dockerd --host "unix://$SOCK" --data-root "$DIR/root" --exec-root "$DIR/exec" \
    --pidfile "$PIDFILE" --storage-driver overlay2 </dev/null >"$LOG" 2>&1 &
  for _ in $(seq 1 120); do
    if ping_engine; then
      echo "engine: started on unix://$SOCK (log: $LOG)"
      return 0
    fi
    sleep 0.5
  done
  echo "engine: dockerd did not answer /_ping on $SOCK within 60 s; last log lines:" >&2
  tail -n 20 "$LOG" >&2 || true
  exit 1
}

stop() {
  [ -f "$PIDFILE" ] || { echo "engine: not running (no $PIDFILE)"; return 0; }
  local pid
  pid="$(cat "$PIDFILE")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 1 60); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.5
    done
    if kill -0 "$pid" 2>/dev/null; then
      echo "engine: dockerd $pid ignored SIGTERM for 30 s; killing it" >&2
      kill -KILL "$pid" || true
    fi
  fi
  rm -f "$PIDFILE"
  echo "engine: stopped"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) ping_engine ;;
  host) echo "unix://$SOCK" ;;
  *) echo "usage: $0 start|stop|status|host" >&2; exit 2 ;;
esac
