#!/usr/bin/env bash
# Latency of a trivial task through vped next to `docker run --rm` of the same image.
# Starts the private engine if none answers (and stops it again), builds vped and the benchmark,
# starts a vped on a free port with a temporary state dir, runs the benchmark, stops vped.
#   bench/run.sh [benchmark flags, e.g. --n 50]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/common.sh"

build_all vped vpe_bench_latency
engine_up

WORK="$(mktemp -d "${TMPDIR:-/tmp}/vpe-bench.XXXXXX")"
VPED_PID=""
cleanup() {
  if [ -n "$VPED_PID" ] && kill -0 "$VPED_PID" 2>/dev/null; then
    kill -TERM "$VPED_PID"
    wait "$VPED_PID" 2>/dev/null || true
  fi
  engine_down_if_started
}
trap cleanup EXIT

"$BUILD_DIR/orchestrator/vped" --listen 127.0.0.1:0 --http-listen 127.0.0.1:0 \
  --docker-host "$DOCKER_HOST" --state-dir "$WORK/state" \
  --specs-dir "$ROOT/tests/e2e/vped/specs" --executor-id "bench-$$" \
  </dev/null >"$WORK/vped.log" 2>&1 &
VPED_PID=$!

ADDR=""
for _ in $(seq 1 200); do
  ADDR="$(sed -n 's/^vped: listening on //p' "$WORK/vped.log" | head -n 1)"
  [ -n "$ADDR" ] && break
  if ! kill -0 "$VPED_PID" 2>/dev/null; then
    echo "bench: vped exited during start-up:" >&2
    cat "$WORK/vped.log" >&2
    exit 1
  fi
  sleep 0.1
done
if [ -z "$ADDR" ]; then
  echo "bench: vped did not print its address within 20 s:" >&2
  cat "$WORK/vped.log" >&2
  exit 1
fi

echo "bench: vped $VPED_PID on $ADDR (state and log in $WORK)"
"$BUILD_DIR/bench/vpe_bench_latency" --server "$ADDR" --env e2e --docker "$DOCKER" "$@"
