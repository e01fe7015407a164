#!/usr/bin/env bash
# Builds the offline base image vpe/debian:bookworm: no registry is reachable from our machines,
# so the root filesystem comes from Debian's mirror with debootstrap (minbase + python3) and is
# imported into the engine. Skipped when the image already exists.
#   DOCKER_HOST=unix:///path/docker.sock images/base/bootstrap.sh
set -euo pipefail

IMAGE="${VPE_BASE_IMAGE:-vpe/debian:bookworm}"
SUITE="${VPE_BASE_SUITE:-bookworm}"
INCLUDE="python3,ca-certificates"

if docker image inspect "$IMAGE" >/dev/null 2>&1; then
  echo "base image: $IMAGE present"
  exit 0
fi

work="$(mktemp -d /var/tmp/vpe-base.XXXXXX)"
trap 'rm -rf "$work"' EXIT
echo "base image: debootstrap $SUITE (minbase, $INCLUDE) into $work/rootfs"
start=$(date +%s)
if ! debootstrap --variant=minbase --include="$INCLUDE" "$SUITE" "$work/rootfs" \
    >"$work/debootstrap.log" 2>&1; then
  echo "base image: debootstrap failed; last lines:" >&2
  tail -n 30 "$work/debootstrap.log" >&2
  exit 1
fi
# Smaller and reproducible enough: no apt lists or caches in the layer.
rm -rf "$work/rootfs/var/lib/apt/lists/"* "$work/rootfs/var/cache/apt/"*.bin
tar -C "$work/rootfs" -c . | docker import \
  --change 'CMD ["/bin/bash"]' \
  --change 'ENV LANG=C.UTF-8' \
  --change 'LABEL io.vpe.base=true' \
  - "$IMAGE" >/dev/null
echo "base image: $IMAGE imported in $(( $(date +%s) - start )) s"
