#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each for a bounded time,
# seeded from the compose corpora and the webhook seeds in tests/fuzz/seeds. Usage: scripts/fuzz.sh [SECONDS_PER_TARGET] (default 60).
# Exit status is non-zero when a target finds a crash; the reproducer is left in build-fuzz/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
corpora=../shared/corpora
build=build-fuzz

CXX=clang++ CXXFLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer" \
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DECSYNC_FUZZ=ON \
  -DECSYNC_BUILD_BENCH=OFF -DECSYNC_WERROR=ON >/dev/null
cmake --build "$build" -j2 --target load_fuzz interpolate_fuzz webhook_fuzz

seeds="$build/seeds"
mkdir -p "$seeds/load" "$seeds/interpolate" "$seeds/webhook"
find "$corpora/compose" "$corpora/real-compose" -name '*.y*ml' -size -64k \
  -exec cp -t "$seeds/load" {} + 2>/dev/null || true
find "$corpora/compose/compose-go/dotenv/fixtures" -type f -exec cp -t "$seeds/interpolate" {} + \
  2>/dev/null || true  # a clone without ../shared fuzzes from empty seeds
cp tests/fuzz/seeds/webhook/* "$seeds/webhook/"

for target in load interpolate webhook; do
  mkdir -p "$build/corpus-$target"
  echo "fuzz: $target for ${seconds}s"
  (cd "$build" && "./tests/fuzz/${target}_fuzz" -max_total_time="$seconds" -max_len=65536 \
     -rss_limit_mb=2048 -timeout=10 "corpus-$target" "seeds/$target")
done
