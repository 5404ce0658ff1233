#!/usr/bin/env bash
# Resident memory of `ecsync serve` with 1,000 repositories configured (target: under 100 MiB).
#
# How to run:
#   ninja -C build ecsync && bench/controller_memory.sh [BUILD_DIR] [REPOSITORIES] [POLL_INTERVAL]
#   (defaults: build, 1000, 30s; takes about 2 minutes). BENCH_KEEP=1 keeps the work folder.
# Needs: git, python3.
#
# Setup: REPOSITORIES small bare repositories (copies of one holding compose.yaml with one
# service), served by one `git daemon` on loopback; a configuration with one repository entry
# per repository, each with one project (its compose.yaml, its own stack), polled every
# POLL_INTERVAL, deploying to the offline target (aws.stack_dir: stack files are written,
# nothing calls AWS). It starts `ecsync serve`, waits until /readyz is 200, /api/v1/status
# shows every project Ready and /metrics shows an idle queue (depth 0, nothing running), and
# reads VmRSS and VmHWM from /proc/PID/status. Then it waits one more poll interval plus 25%
# (every repository polled again, nothing changed) and reads them again.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
count=${2:-1000}
poll=${3:-30s}
ecsync=$PWD/$build/cli/ecsync
[[ $build == /* ]] && ecsync=$build/cli/ecsync
[[ -x $ecsync ]] || { echo "controller_memory: build $ecsync first (ninja -C $build ecsync)" >&2; exit 2; }
echo "command: $0 $*"

source bench/tools/common.sh
work=$(mktemp -d "${TMPDIR:-/tmp}/ecsync-memory-bench.XXXXXX")
trap bench_cleanup EXIT

small_repositories "$work" "$count"
start_git_daemon "$work/repos"
offline_config "$work/cache" "$work/stacks" "$count" "$poll" >"$work/ecsync.yaml"

machine_line
echo "repositories: $count (one project each), poll_interval $poll, offline target (stack_dir)"
start=$(date +%s.%N)
start_serve "$work/ecsync.yaml" "$work/serve.log" "$work/serve.port"
python3 bench/tools/wait_ready.py --serve "http://127.0.0.1:$admin_port" --projects "$count" \
  --pid "$serve_pid" --timeout 900
ready=$(date +%s.%N)
stacks=$(find "$work/stacks" -type f | wc -l)

report() {  # label
  echo "$1: VmRSS $(proc_mib "$serve_pid" VmRSS) MiB, VmHWM $(proc_mib "$serve_pid" VmHWM) MiB," \
    "threads $(awk '$1 == "Threads:" { print $2 }' "/proc/$serve_pid/status"), CPU $(proc_cpu "$serve_pid") s"
}
echo "first all-Ready after $(awk -v a="$start" -v b="$ready" 'BEGIN { printf "%.1f", b - a }') s from start; files in stack_dir: $stacks"
report "all Ready"

# One more poll interval (plus a quarter for the jitter): every repository is checked again.
seconds=$(awk -v s="$(duration_seconds "$poll")" 'BEGIN { print s * 1.25 }')
sleep "$seconds"
fetches=$(curl -sf "http://127.0.0.1:$admin_port/metrics" | awk '/^ecsync_git_fetch_duration_seconds_count/ { s += $NF } END { print s + 0 }')
echo "after one more poll interval (${seconds}s): repository checks so far (ecsync_git_fetch_duration_seconds_count) $fetches"
report "steady"
