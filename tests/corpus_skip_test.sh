#!/usr/bin/env bash
# The tests that read ../shared/corpora, run as in a user's clone (no corpus beside it): each
# binary must list its tests, skip every corpus test with one line naming the missing folder,
# and pass; with ECSYNC_REQUIRE_CORPUS=1 (as CI sets) the same run must fail.
# Usage: corpus_skip_test.sh BINARY FILTER [BINARY FILTER ...]
set -uo pipefail
missing=$(mktemp -d)/no-such-corpora
status=0
while (($# >= 2)); do
  bin=$1 filter=$2
  shift 2
  out=$(ECSYNC_CORPUS_DIR=$missing ECSYNC_REQUIRE_CORPUS= "$bin" --gtest_filter="$filter" 2>&1)
  rc=$?
  ran=$(grep -c '^\[ RUN      \]' <<<"$out")
  skipped=$(grep -c '^\[  SKIPPED \]' <<<"$out")
  if ((rc != 0)) || ((ran == 0)) || ((skipped < ran)) ||
     ! grep -q "test data folder $missing not found" <<<"$out"; then
    echo "FAIL: $bin ($filter) without the corpus: rc=$rc, ran $ran, skipped $skipped"
    echo "$out" | tail -20
    status=1
  else
    echo "ok: $bin ($filter): all $ran tests skipped without the corpus"
  fi
  if ECSYNC_CORPUS_DIR=$missing ECSYNC_REQUIRE_CORPUS=1 "$bin" --gtest_filter="$filter" \
       >/dev/null 2>&1; then
    echo "FAIL: $bin ($filter) passed with ECSYNC_REQUIRE_CORPUS=1 and no corpus"
    status=1
  fi
done
rm -rf "$(dirname "$missing")"
exit $status
