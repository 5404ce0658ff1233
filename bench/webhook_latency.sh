#!/usr/bin/env bash
# Webhook received to first CloudFormation call, p50 and p99.
#
# How to run:
#   ninja -C build ecsync && bench/webhook_latency.sh [BUILD_DIR] [ITERATIONS]
#   (defaults: build, 50; takes about 10 s per iteration, mostly the deploy itself: the
#   controller polls a stack every 5 s while it changes). BENCH_KEEP=1 keeps the work folder.
# Needs: git, python3 with moto and boto3.
#
# Setup: one repository (a working repository served by `git daemon`), moto behind
# bench/tools/aws_proxy.py (which logs the wall-clock time and operation of every AWS
# request), and `ecsync serve` with aws.endpoint_url = the proxy and poll_interval 0, so only
# webhooks trigger a fetch. After the first deploy, each iteration commits a new replica
# count, takes t0 = time.time() just before POSTing a signed GitHub push webhook, and waits
# until the project is Ready at the new commit and the stack's ecsync:revision tag is that
# commit. t1 is the first CloudFormation request the proxy logged at or after t0. Both clocks
# are time.time() in processes on this machine. Prints p50, p99, max (ms) of t1 - t0.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
iterations=${2:-50}
ecsync=$PWD/$build/cli/ecsync
[[ $build == /* ]] && ecsync=$build/cli/ecsync
[[ -x $ecsync ]] || { echo "webhook_latency: build $ecsync first (ninja -C $build ecsync)" >&2; exit 2; }
echo "command: $0 $*"

source bench/tools/common.sh
work=$(mktemp -d "${TMPDIR:-/tmp}/ecsync-webhook-bench.XXXXXX")
trap bench_cleanup EXIT
moto_env

mkdir -p "$work/repos"
repo=$work/repos/app
history_repo "$repo"

start_moto "$work"
start_proxy "$work" "$work/aws.log"
start_git_daemon "$work/repos"
url="git://127.0.0.1:$git_port/app"

secret=bench-hook-secret
cat >"$work/ecsync.yaml" <<EOF
cache_dir: $work/cache
webhooks:
  secret: {env: HOOK_SECRET}
  requests_per_second: 1000
  burst: 1000
aws:
  endpoint_url: $proxy_url
  region: us-east-1
  vpc_id: vpc-12345678
  subnet_ids: [subnet-1111aaaa]
repositories:
  - name: app
    url: $url
    branch: main
    poll_interval: 0
    projects:
      - name: web
        files: [compose.yaml]
        stack_name: app-web
EOF

machine_line
echo "ecsync: $ecsync"
start_serve "$work/ecsync.yaml" "$work/serve.log" "$work/serve.port" HOOK_SECRET=$secret
echo "ecsync serve pid $serve_pid on 127.0.0.1:$serve_port (admin $admin_port); proxy $proxy_url -> $moto_url"

python3 bench/tools/webhook_latency.py --repo "$repo" --clone-url "$url" \
  --serve "http://127.0.0.1:$serve_port" --admin "http://127.0.0.1:$admin_port" --proxy-log "$work/aws.log" --moto "$moto_url" \
  --secret "$secret" --iterations "$iterations"
