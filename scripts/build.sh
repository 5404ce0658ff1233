#!/usr/bin/env bash
# Configures and builds ecsync with Ninja: scripts/build.sh [default|asan|release] [TARGET...].
# default builds into build/, asan (AddressSanitizer + UBSan, Debug) into build-asan/, release
# (Release, the ecsync binary and its libraries only) into build-release/. With TARGETs, only
# those are built (the demo builds just `ecsync`). Re-running rebuilds only what changed.
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${1:-default}
shift || true
case "$preset" in
  default) dir=build ;;
  asan) dir=build-asan ;;
  release) dir=build-release ;;
  *) echo "usage: $0 [default|asan|release] [TARGET...]" >&2; exit 2 ;;
esac
cmake --preset "$preset" >/dev/null
targets=()
for t in "$@"; do targets+=(--target "$t"); done
cmake --build "$dir" -j "$(nproc)" "${targets[@]}"
