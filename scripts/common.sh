# Sourced by the scripts: repo paths, the build, and the private engine.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${VPE_BUILD_DIR:-$ROOT/build}"
export PATH="$PATH:/usr/sbin:/sbin"

build_all() {
  if [ ! -f "$BUILD_DIR/build.ninja" ]; then
    cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  fi
  ninja -C "$BUILD_DIR" -j"$(nproc)" "$@"
}

# Starts the private engine unless one answers; sets DOCKER_HOST and ENGINE_STARTED_HERE.
ENGINE_STARTED_HERE=0
engine_up() {
  if ! "$ROOT/scripts/engine.sh" status; then
    "$ROOT/scripts/engine.sh" start
    ENGINE_STARTED_HERE=1
  else
    echo "engine: reusing the engine on $("$ROOT/scripts/engine.sh" host)"
  fi
  DOCKER_HOST="$("$ROOT/scripts/engine.sh" host)"
  export DOCKER_HOST
  # Prefer Debian's docker client (matches the engine's API) over any other on PATH.
  if [ -x /usr/bin/docker ]; then DOCKER=/usr/bin/docker; else DOCKER=docker; fi
  export DOCKER
}

engine_down_if_started() {
  if [ "$ENGINE_STARTED_HERE" = 1 ]; then "$ROOT/scripts/engine.sh" stop; fi
}

base_image() {
  PATH="$(dirname "$DOCKER"):$PATH" "$ROOT/images/base/bootstrap.sh"
}
