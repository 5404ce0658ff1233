#!/usr/bin/env bash
# README command (a): sets up, builds, and deploys the demo app in examples/ from a local git
# repository to a local CloudFormation endpoint (moto_server on loopback), then commits a
# change and reconciles again to show the update. Stops moto and removes its files on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
scripts/setup.sh
scripts/build.sh default
ecsync=$root/build/controller/ecsync

work=$(mktemp -d -t ecsync-demo-XXXXXX)
moto_pid=
cleanup() {
  [[ -n "$moto_pid" ]] && kill "$moto_pid" 2>/dev/null && wait "$moto_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "Turning examples/ into a git repository in $work/app"
mkdir -p "$work/app"
cp -r examples/. "$work/app/"
git -C "$work/app" init -q -b main
git -C "$work/app" -c user.name=demo -c user.email=demo@example.com add -A
git -C "$work/app" -c user.name=demo -c user.email=demo@example.com commit -q -m "demo app"
git -C "$work/app" log --oneline

step "Starting moto_server (a local CloudFormation endpoint) on 127.0.0.1"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 tests/support/moto_ecsync.py -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
moto_pid=$!
for _ in $(seq 1 300); do
  curl -sf -o /dev/null "http://127.0.0.1:$port/moto-api/" && break
  sleep 0.1
done
export AWS_ENDPOINT_URL=http://127.0.0.1:$port AWS_ACCESS_KEY_ID=demo AWS_SECRET_ACCESS_KEY=demo
export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 AWS_PAGER=""
unset AWS_PROFILE AWS_SESSION_TOKEN
echo "moto_server at $AWS_ENDPOINT_URL"

reconcile() {
  "$ecsync" reconcile --once --repo "file://$work/app" --branch main --path compose.yaml \
    --cache-dir "$work/cache" --poll-interval 1s
}

step "ecsync reconcile --once (create)"
reconcile

step "What CloudFormation and ECS now hold (AWS CLI)"
aws cloudformation describe-stacks --stack-name demo \
  --query 'Stacks[0].{Stack:StackName,Status:StackStatus,Tags:Tags}' --output table
aws cloudformation list-stack-resources --stack-name demo \
  --query 'StackResourceSummaries[].[LogicalResourceId,ResourceType,ResourceStatus]' --output table
cluster=$(aws ecs list-clusters --query 'clusterArns[0]' --output text)
aws ecs describe-services --cluster "$cluster" \
  --services $(aws ecs list-services --cluster "$cluster" --query 'serviceArns' --output text) \
  --query 'services[?status==`ACTIVE`].[serviceName,desiredCount,taskDefinition]' --output table

step "Committing a change: web gets replicas: 2"
sed -i 's/replicas: 1/replicas: 2/' "$work/app/compose.yaml"
git -C "$work/app" -c user.name=demo -c user.email=demo@example.com commit -q -am "web: 2 replicas"
git -C "$work/app" log --oneline -1

step "ecsync reconcile --once (update)"
reconcile

step "The web service after the update"
aws ecs describe-services --cluster "$cluster" \
  --services $(aws ecs list-services --cluster "$cluster" --query 'serviceArns' --output text) \
  --query 'services[?status==`ACTIVE`].[serviceName,desiredCount]' --output table
aws cloudformation describe-stacks --stack-name demo --query 'Stacks[0].StackStatus' --output text

step "ecsync reconcile --once again: nothing to do"
reconcile

step "Done; stopping moto_server"
