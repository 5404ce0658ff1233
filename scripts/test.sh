#!/usr/bin/env bash
# README command (b): installs what is missing, builds, and runs the whole suite with ctest
# in parallel; then builds and runs it again under AddressSanitizer + UndefinedBehaviorSanitizer.
# In between, each libFuzzer target runs for ECSYNC_FUZZ_SECONDS (default 30).
# ECSYNC_SKIP_SANITIZE=1 skips the sanitizer pass (for a quicker local run).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
jobs=$(( $(nproc) * 2 ))  # most tests wait on moto_server or cfn-lint, not the CPU

run_suite() {
  local preset=$1 dir=$2
  scripts/build.sh "$preset"
  ctest --test-dir "$dir" --output-on-failure -j "$jobs" --timeout 600
}

run_suite default build
# Every build type builds; CI builds Release (the binary and its libraries) once so it stays so.
scripts/build.sh release ecsync
# The libFuzzer targets (compose loader, interpolation and .env), bounded in time.
scripts/fuzz.sh "${ECSYNC_FUZZ_SECONDS:-30}"
if [[ "${ECSYNC_SKIP_SANITIZE:-0}" != 1 ]]; then
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 run_suite asan build-asan
fi
