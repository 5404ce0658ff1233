#!/usr/bin/env bash
# One reconcile cycle over 1,000 managed stacks of which none changed (issue #6): how many AWS
# calls it makes (target: about one per DescribeStacks page) and how long it takes.
#
# How to run:
#   ninja -C build ecsync && bench/noop_cycle.sh [BUILD_DIR] [STACKS] [RUNS]
#   (defaults: build, 1000, 3; about 2 minutes for 1,000 stacks on a 2-core machine, half of
#   it the setup). BENCH_KEEP=1 keeps the work folder.
# Needs: git, python3 with moto and boto3, /usr/bin/time (GNU time).
#
# Setup: one repository (served by `git daemon`) holding apps/appNNN/compose.yaml for STACKS
# folders and a configuration with one `glob: apps/*/compose.yaml` project entry, so STACKS
# projects (stacks mono-appNNN); aws.vpc_id and aws.subnet_ids are set, so nothing looks up
# the network. `ecsync reconcile --once --config` deploys them into moto once (not measured;
# concurrency 8, no AWS rate limit and a 20 s deploy timeout to make it quicker). Measured:
# RUNS more runs of `ecsync reconcile --once --config` with the configuration's defaults (concurrency 4, 20 AWS
# requests per second, burst 40) through bench/tools/aws_proxy.py, which logs every request;
# each run's requests are counted by service and operation, and GNU time reports its wall
# time, CPU and peak RSS. Also printed: how many DescribeStacks pages moto needs to list every
# stack (moto returns 50 stacks per page; AWS's page size is not documented).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
count=${2:-1000}
runs=${3:-3}
ecsync=$PWD/$build/cli/ecsync
[[ $build == /* ]] && ecsync=$build/cli/ecsync
[[ -x $ecsync ]] || { echo "noop_cycle: build $ecsync first (ninja -C $build ecsync)" >&2; exit 2; }
echo "command: $0 $*"

source bench/tools/common.sh
work=$(mktemp -d "${TMPDIR:-/tmp}/ecsync-noop-bench.XXXXXX")
trap bench_cleanup EXIT
moto_env

git init -q -b main "$work/seed"
(
  cd "$work/seed"
  git config user.email bench@example.com && git config user.name bench
  for ((i = 0; i < count; i++)); do
    mkdir -p "apps/app$(printf %04d "$i")"
    printf 'services:\n  web:\n    image: nginx:1.27-alpine\n' >"apps/app$(printf %04d "$i")/compose.yaml"
  done
  git add . && git commit -qm "$count apps"
)
mkdir "$work/repos"
git clone -q --bare "$work/seed" "$work/repos/mono.git"
start_git_daemon "$work/repos"
start_moto "$work"
start_proxy "$work" "$work/aws.log"

config() {  # endpoint, extra top-level lines
  cat <<EOF
cache_dir: $work/cache
$2
aws:
  endpoint_url: $1
  region: us-east-1
  vpc_id: vpc-12345678
  subnet_ids: [subnet-1111aaaa]
$3
repositories:
  - name: mono
    url: git://127.0.0.1:$git_port/mono.git
    poll_interval: 1m
    projects:
      - glob: apps/*/compose.yaml
EOF
}
config "$moto_url" "concurrency: 8" "  requests_per_second: 100000
  burst: 100000" >"$work/setup.yaml"
sed -i 's/^    poll_interval: 1m$/    poll_interval: 1m\n    timeout: 20s/' "$work/setup.yaml"
config "$proxy_url" "" "" >"$work/ecsync.yaml"

machine_line
echo "stacks: $count (one repository, glob apps/*/compose.yaml); ecsync: $ecsync"
setup_start=$(date +%s.%N)
# moto is not safe under concurrent requests: now and then a CreateStack fails after moto
# stored the stack, which then stays CREATE_IN_PROGRESS for ever (and ecsync's retry meets
# AlreadyExists, as moto ignores ClientRequestToken). Such stacks are deleted and the setup
# runs again; a pass finds every stack it already made up to date.
for pass in 1 2 3 4; do
  if "$ecsync" reconcile --once --config "$work/setup.yaml" >"$work/setup.out" 2>"$work/setup.err"; then break; fi
  if ((pass == 4)); then
    echo "setup failed:" >&2; tail -n 5 "$work/setup.out" "$work/setup.err" >&2; exit 1
  fi
  echo "setup pass $pass: $(tail -1 "$work/setup.out"); deleting stacks moto left in progress, again"
  python3 - "$moto_url" <<'PY'
import sys, boto3
cfn = boto3.client("cloudformation", endpoint_url=sys.argv[1], region_name="us-east-1")
for page in cfn.get_paginator("describe_stacks").paginate():
    for stack in page["Stacks"]:
        if stack["StackStatus"].endswith("_IN_PROGRESS"):
            cfn.delete_stack(StackName=stack["StackId"])
PY
done
echo "setup (not measured): $(tail -1 "$work/setup.out") in" \
  "$(awk -v a="$setup_start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.0f", b - a }') s"

python3 - "$moto_url" <<'EOF'
import sys, boto3
cfn = boto3.client("cloudformation", endpoint_url=sys.argv[1], region_name="us-east-1")
pages = stacks = 0
for page in cfn.get_paginator("describe_stacks").paginate():
    pages += 1
    stacks += len(page["Stacks"])
print(f"moto lists {stacks} stacks in {pages} DescribeStacks pages")
EOF

for ((run = 1; run <= runs; run++)); do
  : >"$work/aws.log"
  if ! /usr/bin/time -v "$ecsync" reconcile --once --config "$work/ecsync.yaml" \
      >"$work/run.out" 2>"$work/run.err"; then
    echo "run $run failed:" >&2; tail -n 5 "$work/run.out" "$work/run.err" >&2; exit 1
  fi
  noop=$(grep -c 'up to date' "$work/run.out" || true)
  echo
  echo "run $run: $(tail -1 "$work/run.out") ($noop up to date)"
  awk -F': ' '
    /Elapsed \(wall clock\)/ { n = split($2, p, ":"); wall = (n == 3 ? p[1] * 3600 + p[2] * 60 + p[3] : p[1] * 60 + p[2]) }
    /User time/ { user = $2 } /System time/ { sys = $2 } /Maximum resident/ { rss = $2 }
    END { printf "  wall %.2f s, CPU %.2f s (user %.2f, system %.2f), peak RSS %.1f MiB\n", wall, user + sys, user, sys, rss / 1024 }
  ' "$work/run.err"
  python3 bench/tools/count_calls.py "$work/aws.log"
done
