#!/usr/bin/env bash
# README command (b), and what CI runs: installs what is missing, builds the whole suite once
# under AddressSanitizer + UndefinedBehaviorSanitizer (build-asan/) and runs it with ctest in
# parallel; then builds Release (the ecsync binary, so every build type keeps building) and runs
# each libFuzzer target for ECSYNC_FUZZ_SECONDS (default 20).
# ECSYNC_SKIP_SANITIZE=1 builds and runs the suite without sanitizers instead (build/, quicker
# to build for a local run).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
jobs=$(( $(nproc) * 2 ))  # most tests wait on moto_server or cfn-lint, not the CPU

run_suite() {
  local preset=$1 dir=$2
  scripts/build.sh "$preset"
  ctest --test-dir "$dir" --output-on-failure -j "$jobs" --timeout 600
}

# One build and one run of the suite: under the sanitizers every test also checks memory and
# undefined behaviour, so a second, plain run would only repeat it.
if [[ "${ECSYNC_SKIP_SANITIZE:-0}" == 1 ]]; then
  run_suite default build
else
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 run_suite asan build-asan
fi
scripts/build.sh release ecsync
# The libFuzzer targets: compose loader, interpolation and .env, webhook parsers, HTTP reader.
scripts/fuzz.sh "${ECSYNC_FUZZ_SECONDS:-20}"
