#!/usr/bin/env bash
# README command (b), and what CI runs: installs what is missing, builds the suite once under
# AddressSanitizer + UndefinedBehaviorSanitizer (build-asan/) and runs it with ctest in parallel;
# beside the suite it builds the libFuzzer targets and lints the whole tree with clang-format and
# clang-tidy (scripts/lint.sh --all); then runs each libFuzzer target for ECSYNC_FUZZ_SECONDS
# (default 20).
# ECSYNC_SKIP_SANITIZE=1 builds and runs the suite without sanitizers instead (build/, quicker
# to build for a local run). ECSYNC_SKIP_LINT=1 leaves the lint out (a local run; CI lints).
set -euo pipefail
cd "$(dirname "$0")/.."
# How long each stage took, printed last (CI shows the end of the output): a slow run says
# where its time went.
began=$SECONDS
timings=()
took() { timings+=("$1 $((SECONDS - began)) s"); began=$SECONDS; }
report() {
  ((${#timings[@]})) || return 0
  echo "test.sh: took ${timings[*]}"
  [[ -f "${dir:-}/side-timings" ]] && echo "test.sh: beside the suite: $(paste -sd, "$dir/side-timings")"
  return 0
}
trap report EXIT
jobs=$(( $(nproc) * 2 ))  # tests often wait on moto_server or cfn-lint (docs/testing.md)

# One build and one run of the suite: under the sanitizers every test also checks memory and
# undefined behaviour, so a second, plain run would only repeat it.
preset=asan dir=build-asan
[[ "${ECSYNC_SKIP_SANITIZE:-0}" == 1 ]] && preset=default dir=build
mkdir -p "$dir"
# The packages the build needs first; the rest (the browser, the registry, sshd, clang and its
# linters: what the tests, fuzzers and lint run) install while it compiles. On a fresh
# machine that takes most of the setup off the critical path.
scripts/setup.sh build
took setup
scripts/setup.sh >"$dir/setup.log" 2>&1 &
setup_pid=$!
scripts/build.sh "$preset"
took build
wait "$setup_pid" || { cat "$dir/setup.log" >&2; echo "test.sh: scripts/setup.sh failed" >&2; exit 1; }
took "setup(the rest, after the build)"

# Beside the suite, at the lowest priority: this work takes only the CPU the tests leave idle
# while they wait on moto_server, cfn-lint or git.
# - The clang fuzz build (also the one build with a second compiler).
# - `cmake --preset release` configures the Release build (tests and benchmarks off) without
#   compiling it. A full Release build used to run here; it cost more CPU than the whole lint
#   and checked nothing the other builds do not: the same sources already compile with GCC
#   (ASan) and clang (fuzz), and Release builds without -Werror, so its optimiser-only
#   warnings never failed anything. The configure step still catches a CMake graph that needs
#   the tests or benchmarks.
# - The lint of the whole tree, with this build's compile_commands.json.
side() {
  local t=$SECONDS
  nice -n 19 scripts/fuzz.sh build >"$dir/fuzz-build.log" 2>&1 ||
    { cat "$dir/fuzz-build.log" >&2; echo "test.sh: the fuzz build failed" >&2; return 1; }
  cmake --preset release >"$dir/release-configure.log" 2>&1 ||
    { cat "$dir/release-configure.log" >&2; echo "test.sh: the release preset does not configure" >&2
      return 1; }
  echo "fuzz-build $((SECONDS - t)) s" >"$dir/side-timings"
  [[ "${ECSYNC_SKIP_LINT:-0}" == 1 ]] && return 0
  # clang-format and clang-tidy over the whole tree (docs/architecture.md, "Conventions"); any
  # finding fails the run.
  t=$SECONDS
  nice -n 19 scripts/lint.sh --all --build-dir "$dir" >"$dir/lint.log" 2>&1 ||
    { cat "$dir/lint.log" >&2; echo "test.sh: scripts/lint.sh --all found problems" >&2; return 1; }
  echo "lint $((SECONDS - t)) s ($(grep -o '[0-9]* units ([0-9]* unchanged' "$dir/lint.log" | head -1)))" \
    >>"$dir/side-timings"
}
rm -f "$dir/side-timings"
side &
side_pid=$!
suite=0
# ctest starts the longest tests first when it knows their times, so that no long test starts
# last and runs alone; a clean clone knows none, so it starts from those of an earlier run
# (.ci/ctest-costs, a copy of ctest's own CTestCostData.txt) and keeps its own afterwards.
costs=$dir/Testing/Temporary/CTestCostData.txt
if [[ ! -f "$costs" && -f .ci/ctest-costs ]]; then
  mkdir -p "$(dirname "$costs")"
  cp .ci/ctest-costs "$costs"
fi
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir "$dir" --output-on-failure -j "$jobs" --timeout 600 || suite=$?
took suite
side_status=0
wait "$side_pid" || side_status=$?
took "fuzz-build+lint(after the suite)"
((suite == 0)) || exit "$suite"
# The libFuzzer targets: compose loader, interpolation and .env, webhook parsers, HTTP reader.
# They run even when only the lint failed, so one CI run reports both.
scripts/fuzz.sh "${ECSYNC_FUZZ_SECONDS:-20}"
took fuzz
exit "$side_status"
