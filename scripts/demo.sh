#!/usr/bin/env bash
# The main job on a fresh Debian machine: installs packages, builds vpe, starts a private Docker
# engine (or reuses one), bootstraps the offline base image, starts vped on the embedded defaults,
# builds the ingestion environment, runs its pipeline (extract -> transform -> load, passing data
# through a named volume) and a report, prints each task's result, then stops vped (and the engine,
# if this script started it).
set -euo pipefail
source "$(dirname "$0")/common.sh"

"$ROOT/scripts/install-deps.sh"
build_all vped vpe
engine_up
base_image

STATE="${VPE_DEMO_STATE:-$ROOT/.vpe/demo}"
VOLUME="vpe-demo-data"
mkdir -p "$STATE"
VPED_LOG="$STATE/vped.log"
VPED_PID=""
cleanup() {
  if [ -n "$VPED_PID" ] && kill -0 "$VPED_PID" 2>/dev/null; then
    kill -TERM "$VPED_PID"; wait "$VPED_PID" 2>/dev/null || true
    echo "demo: vped stopped"
  fi
  engine_down_if_started
}
trap cleanup EXIT

"$BUILD_DIR/orchestrator/vped" --listen 127.0.0.1:0 --http-listen 127.0.0.1:0 \
  --docker-host "$DOCKER_HOST" --state-dir "$STATE" --specs-dir "$ROOT/env_specs/examples" \
  --max-concurrent 4 --allow-volume "$VOLUME" >"$VPED_LOG" 2>&1 </dev/null &
VPED_PID=$!
for _ in $(seq 1 100); do
  grep -q "vped: listening on" "$VPED_LOG" 2>/dev/null && break
  kill -0 "$VPED_PID" 2>/dev/null || { echo "demo: vped exited:"; cat "$VPED_LOG"; exit 1; }
  sleep 0.1
done
export VPE_SERVER
VPE_SERVER="$(sed -n 's/^vped: listening on //p' "$VPED_LOG" | head -n1)"
echo "demo: vped listening on $VPE_SERVER (log: $VPED_LOG)"

# A fresh data volume each run; it takes its owner from the ingestion image's /data.
"$DOCKER" volume rm -f "$VOLUME" >/dev/null 2>&1 || true

VPE="$BUILD_DIR/orchestrator/vpe"
echo "demo: building environments"
"$VPE" env build --all --specs-dir "$ROOT/env_specs/examples" --docker-host "$DOCKER_HOST"

run_step() {
  local env="$1"; shift
  echo "demo: --- $env: $* ---"
  "$VPE" task run "$env" --volume "$VOLUME:/data" --label demo=ingestion -- "$@"
}
run_step ingestion python3 extract.py
run_step ingestion python3 transform.py
run_step ingestion python3 load.py
run_step reporting python3 report.py
echo "demo: tasks"
"$VPE" task ls --label demo=ingestion
echo "demo: done"
