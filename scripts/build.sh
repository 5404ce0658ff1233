#!/usr/bin/env bash
# Configures and builds ecsync with Ninja: scripts/build.sh [default|asan].
# default builds into build/, asan (AddressSanitizer + UBSan, Debug) into build-asan/.
# Re-running rebuilds only what changed.
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${1:-default}
case "$preset" in
  default) dir=build ;;
  asan) dir=build-asan ;;
  *) echo "usage: $0 [default|asan]" >&2; exit 2 ;;
esac
cmake --preset "$preset" >/dev/null
cmake --build "$dir" -j "$(nproc)"
