#!/usr/bin/env bash
# Do notifications and commit statuses delay a reconcile? Webhook received to the first
# CloudFormation call and to the first CloudFormation write, with and without them, in the
# same run (issue 17: "statuses and notifications add no latency to a reconcile").
#
# How to run:
#   ninja -C build ecsync && bench/notify_latency.sh [BUILD_DIR] [ITERATIONS] [DELAY_MS]
#   (defaults: build, 10, 200; about 3 s per iteration and side). BENCH_KEEP=1 keeps the
#   work folder.
# Needs: git, python3 with moto and boto3.
#
# Setup: moto (tests/support/moto_ecsync.py), git daemon serving two repositories of the same
# history (30 commits, then one compose file), and two `ecsync serve` processes, each with its
# own bench/tools/aws_proxy.py in front of moto, its own stack and poll_interval 0 (only
# webhooks trigger a fetch):
#   plain   no notifications, no commit statuses;
#   notify  Slack, Teams and a signed webhook notification for every event, and GitHub commit
#           statuses with deployments, all sent to bench/tools/slow_receiver.py, which answers
#           each request after DELAY_MS (a slow chat service or git host): every deploy makes
#           about a dozen requests, so the one delivery thread is still busy with one deploy's
#           events when the next webhook arrives.
# bench/tools/notify_latency.py then alternates the sides (see there).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
iterations=${2:-10}
delay_ms=${3:-200}
ecsync=$PWD/$build/cli/ecsync
[[ $build == /* ]] && ecsync=$build/cli/ecsync
[[ -x $ecsync ]] || { echo "notify_latency: build $ecsync first (ninja -C $build ecsync)" >&2; exit 2; }
echo "command: $0 $*"

source bench/tools/common.sh
work=$(mktemp -d "${TMPDIR:-/tmp}/ecsync-notify-bench.XXXXXX")
trap bench_cleanup EXIT
moto_env

mkdir -p "$work/repos"
for side in plain notify; do
  history_repo "$work/repos/$side"  # as in webhook_latency.sh (see common.sh)
done

start_moto "$work"
start_git_daemon "$work/repos"
python3 bench/tools/slow_receiver.py --delay-ms "$delay_ms" --log "$work/receiver.log" \
  --port-file "$work/receiver.port" >"$work/receiver.err" 2>&1 &
bench_track $!
wait_for_file "$work/receiver.port" 30
receiver="http://127.0.0.1:$(cat "$work/receiver.port")"

secret=bench-hook-secret
all_events='[deploy_started, deploy_succeeded, deploy_failed, deploy_error, drift_detected, stalled, pruned]'
sides=()
for side in plain notify; do
  mkdir -p "$work/$side"
  start_proxy "$work/$side" "$work/$side/aws.log"
  {
    echo "cache_dir: $work/$side/cache"
    echo "webhooks: {secret: {env: HOOK_SECRET}, requests_per_second: 1000, burst: 1000}"
    echo "aws: {endpoint_url: $proxy_url, region: us-east-1, vpc_id: vpc-12345678, subnet_ids: [subnet-1111aaaa]}"
    if [[ $side == notify ]]; then
      echo "external_url: http://127.0.0.1:8081"
      echo "notifications:"
      echo "  - {name: ops, type: slack, url: {env: SLACK_URL}, events: $all_events}"
      echo "  - {name: team, type: teams, url: {env: TEAMS_URL}, events: $all_events}"
      echo "  - {name: audit, type: webhook, url: {env: AUDIT_URL}, secret: {env: AUDIT_SECRET}, events: $all_events}"
    fi
    echo "repositories:"
    echo "  - name: app"
    echo "    url: git://127.0.0.1:$git_port/$side"
    echo "    branch: main"
    echo "    poll_interval: 0"
    if [[ $side == notify ]]; then
      echo "    notify: {commit_status: {provider: github, api_url: $receiver, repository: acme/app, token: {env: STATUS_TOKEN}}}"
    fi
    echo "    projects: [{name: web, files: [compose.yaml], stack_name: app-$side}]"
  } >"$work/$side/ecsync.yaml"
  start_serve "$work/$side/ecsync.yaml" "$work/$side/serve.log" "$work/$side/serve.port" \
    "HOOK_SECRET=$secret" "SLACK_URL=$receiver/slack" "TEAMS_URL=$receiver/teams" \
    "AUDIT_URL=$receiver/audit" AUDIT_SECRET=bench-audit-secret STATUS_TOKEN=bench-status-token
  echo "$side: ecsync serve pid $serve_pid on 127.0.0.1:$serve_port (admin $admin_port); proxy $proxy_url"
  sides+=(--side "$side" "$work/repos/$side" "git://127.0.0.1:$git_port/$side"
    "http://127.0.0.1:$serve_port" "http://127.0.0.1:$admin_port" "$work/$side/aws.log" "app-$side")
done

machine_line
echo "ecsync: $ecsync; slow receiver answers after $delay_ms ms"
python3 bench/tools/notify_latency.py "${sides[@]}" --moto "$moto_url" --secret "$secret" \
  --receiver-log "$work/receiver.log" --iterations "$iterations"
