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

# One build and one run of the suite: under the sanitizers every test also checks memory and
# undefined behaviour, so a second, plain run would only repeat it.
preset=asan dir=build-asan
[[ "${ECSYNC_SKIP_SANITIZE:-0}" == 1 ]] && preset=default dir=build
scripts/build.sh "$preset"
# Release (the ecsync binary: every build type keeps building; warnings are not errors there)
# and the clang fuzz targets build at the lowest priority while the suite runs: most tests
# wait on moto_server, cfn-lint or git, and these soak up the idle CPU.
( nice -n 19 scripts/build.sh release ecsync && nice -n 19 scripts/fuzz.sh build ) \
  >"$dir/side-builds.log" 2>&1 &
side=$!
suite=0
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir "$dir" --output-on-failure -j "$jobs" --timeout 600 || suite=$?
if ! wait "$side"; then
  cat "$dir/side-builds.log" >&2
  echo "test.sh: the Release or fuzz build failed" >&2
  exit 1
fi
((suite == 0)) || exit "$suite"
# The libFuzzer targets: compose loader, interpolation and .env, webhook parsers, HTTP reader.
scripts/fuzz.sh "${ECSYNC_FUZZ_SECONDS:-20}"
