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

git init -q -b main "$work/seed"
(
  cd "$work/seed"
  git config user.email bench@example.com && git config user.name bench
  printf 'services:\n  web:\n    image: nginx:1.27-alpine\n    ports: ["80:80"]\n' >compose.yaml
  git add . && git commit -qm one
)
git clone -q --bare "$work/seed" "$work/template.git"
mkdir "$work/repos"
for ((i = 0; i < count; i++)); do cp -r "$work/template.git" "$work/repos/repo$i"; done
start_git_daemon "$work/repos"

{
  echo "cache_dir: $work/cache"
  echo "aws: {stack_dir: $work/stacks, vpc_id: vpc-12345678, subnet_ids: [subnet-1111aaaa]}"
  echo "repositories:"
  for ((i = 0; i < count; i++)); do
    echo "  - {name: repo$i, url: \"git://127.0.0.1:$git_port/repo$i\", poll_interval: $poll, projects: [{files: compose.yaml}]}"
  done
} >"$work/ecsync.yaml"

machine_line
echo "repositories: $count (one project each), poll_interval $poll, offline target (stack_dir)"
start=$(date +%s.%N)
start_serve "$work/ecsync.yaml" "$work/serve.log" "$work/serve.port"
python3 bench/tools/wait_ready.py --serve "http://127.0.0.1:$admin_port" --projects "$count" \
  --pid "$serve_pid" --timeout 900
ready=$(date +%s.%N)
stacks=$(find "$work/stacks" -type f | wc -l)

mib() { awk -v k="$(awk -v f="$1" '$1 == f":" { print $2 }' "/proc/$serve_pid/status")" 'BEGIN { printf "%.1f", k / 1024 }'; }
report() {  # label
  echo "$1: VmRSS $(mib VmRSS) MiB, VmHWM $(mib VmHWM) MiB, threads $(awk '$1 == "Threads:" { print $2 }' "/proc/$serve_pid/status")," \
    "CPU $(awk '{ printf "%.2f", ($14 + $15) / '"$(getconf CLK_TCK)"' }' "/proc/$serve_pid/stat") s"
}
echo "first all-Ready after $(awk -v a="$start" -v b="$ready" 'BEGIN { printf "%.1f", b - a }') s from start; files in stack_dir: $stacks"
report "all Ready"

# One more poll interval (plus a quarter for the jitter): every repository is checked again.
seconds=$(python3 -c "
import re, sys
t = sys.argv[1]
total = sum(float(n) * {'ms': 0.001, 's': 1, 'm': 60, 'h': 3600}[u] for n, u in re.findall(r'([0-9.]+)(ms|s|m|h)', t)) if not t.replace('.', '').isdigit() else float(t)
print(total * 1.25)" "$poll")
sleep "$seconds"
fetches=$(curl -sf "http://127.0.0.1:$admin_port/metrics" | awk '/^ecsync_git_fetch_duration_seconds_count/ { s += $NF } END { print s + 0 }')
echo "after one more poll interval (${seconds}s): repository checks so far (ecsync_git_fetch_duration_seconds_count) $fetches"
report "steady"
