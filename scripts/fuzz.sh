#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each for a bounded time:
# the compose loader and interpolation (seeded from the compose corpora when present), the
# webhook parsers (seeds in tests/fuzz/seeds/webhook) and the HTTP request reader (a few
# hand-written requests). Usage: scripts/fuzz.sh [SECONDS_PER_TARGET] (default 60);
# `scripts/fuzz.sh build` only builds the targets.
# Exit status is non-zero when a target finds a crash; the reproducer is left in build-fuzz/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
corpora=../shared/corpora
build=build-fuzz

CXX=clang++ CXXFLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer" \
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DECSYNC_FUZZ=ON \
  -DECSYNC_BUILD_BENCH=OFF -DECSYNC_WERROR=ON -DCMAKE_UNITY_BUILD=ON >/dev/null
targets=(load interpolate webhook http_request)
cmake --build "$build" -j2 --target "${targets[@]/%/_fuzz}"
[[ "$seconds" == build ]] && exit 0

seeds="$build/seeds"
for target in "${targets[@]}"; do mkdir -p "$seeds/$target"; done
find "$corpora/compose" "$corpora/real-compose" -name '*.y*ml' -size -64k \
  -exec cp -t "$seeds/load" {} + 2>/dev/null || true
find "$corpora/compose/compose-go/dotenv/fixtures" -type f -exec cp -t "$seeds/interpolate" {} + \
  2>/dev/null || true  # a clone without ../shared fuzzes from empty seeds
cp tests/fuzz/seeds/webhook/* "$seeds/webhook/"
# The first byte of an HTTP seed picks the size of the pieces the stream is fed in.
printf '\x03GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n' >"$seeds/http_request/get"
printf '\x07POST /hooks/github HTTP/1.1\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\nhelloGET / HTTP/1.0\n\n' \
  >"$seeds/http_request/pipelined"
printf '\x01POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\nabc' \
  >"$seeds/http_request/chunked"

# Each target is single-threaded and runs for a fixed wall time, so up to one per core run at
# once (CI: 2 cores, 4 targets, half the time of running them one after another).
run_one() {
  local target=$1
  mkdir -p "$build/corpus-$target"
  (cd "$build" && "./tests/fuzz/${target}_fuzz" -max_total_time="$seconds" -max_len=65536 \
     -rss_limit_mb=2048 -timeout=10 "corpus-$target" "seeds/$target") >"$build/fuzz-$target.log" 2>&1
}
failed=0
for ((i = 0; i < ${#targets[@]}; i += $(nproc))); do
  batch=("${targets[@]:i:$(nproc)}")
  pids=()
  for target in "${batch[@]}"; do
    echo "fuzz: $target for ${seconds}s"
    run_one "$target" &
    pids+=($!)
  done
  for j in "${!batch[@]}"; do
    if ! wait "${pids[$j]}"; then
      cat "$build/fuzz-${batch[$j]}.log" >&2
      echo "fuzz: ${batch[$j]} failed (log above, reproducer in $build/)" >&2
      failed=1
    fi
  done
done
exit "$failed"
