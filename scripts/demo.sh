#!/usr/bin/env bash
# README command (a): sets up, builds, and deploys the demo app in examples/ from a local git
# repository to a local CloudFormation endpoint (moto_server on loopback), then commits a
# change and reconciles again to show the update, then runs the controller (ecsync serve) and
# deploys a third commit through a signed webhook. Stops moto and removes its files on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
scripts/setup.sh
scripts/build.sh default ecsync  # only what the demo runs: no tests, no benchmarks
ecsync=$root/build/cli/ecsync

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

step "ecsync serve: the controller, driven by a webhook"
cat >"$work/ecsync.yaml" <<EOF
cache_dir: $work/cache
webhooks:
  secret: {env: DEMO_HOOK_SECRET}
repositories:
  - name: demo
    url: file://$work/app
    branch: main
    poll_interval: 0          # webhooks only (after the first check at start)
    projects:
      - name: app
        files: [compose.yaml]
        stack_name: demo
EOF
export DEMO_HOOK_SECRET=demo-secret
"$ecsync" serve --config "$work/ecsync.yaml" --listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 \
  --port-file "$work/ports" >"$work/serve.log" 2>&1 &
serve_pid=$!
for _ in $(seq 1 300); do [[ -s "$work/ports" ]] && break; sleep 0.1; done
http=$(cut -d' ' -f1 "$work/ports")   # public: webhooks
admin=$(cut -d' ' -f3 "$work/ports")  # admin: health, status, metrics
echo "ecsync serve: webhooks on 127.0.0.1:$http, admin on 127.0.0.1:$admin"
for _ in $(seq 1 300); do curl -sf -o /dev/null "http://127.0.0.1:$admin/readyz" && break; sleep 0.2; done

sed -i 's/replicas: 2/replicas: 3/' "$work/app/compose.yaml"
git -C "$work/app" -c user.name=demo -c user.email=demo@example.com commit -q -am "web: 3 replicas"
head=$(git -C "$work/app" rev-parse HEAD)
body="{\"repository\":\"file://$work/app\",\"ref\":\"main\",\"commit\":\"$head\"}"
sig=$(printf '%s' "$body" | openssl dgst -sha256 -hmac "$DEMO_HOOK_SECRET" -r | cut -d' ' -f1)
echo "POST /hooks/generic for commit ${head:0:12}:"
curl -s -w '  (HTTP %{http_code})\n' -H "X-Signature: sha256=$sig" -H 'Content-Type: application/json' \
  -d "$body" "http://127.0.0.1:$http/hooks/generic"
rev=
for _ in $(seq 1 600); do
  rev=$(aws cloudformation describe-stacks --stack-name demo \
    --query "Stacks[0].Tags[?Key=='ecsync:revision'].Value" --output text)
  [[ "$rev" == "$head" ]] && break
  sleep 0.2
done
echo "stack demo is at revision ${rev:0:12}" \
  "($(aws cloudformation describe-stacks --stack-name demo --query 'Stacks[0].StackStatus' --output text))"
echo "GET /api/v1/status:"
curl -s "http://127.0.0.1:$admin/api/v1/status" | python3 -c '
import json, sys
doc = json.load(sys.stdin)
for p in doc["projects"]:
    runs = ", ".join(r["action"] + "/" + r["result"] for r in p["runs"])
    print("  %s: %s, applied %s, runs: %s" % (p["key"], p["condition"]["type"],
          p["lastAppliedRevision"][:12], runs))'
echo "GET /metrics (excerpt):"
curl -s "http://127.0.0.1:$admin/metrics" |
  grep -E '^ecsync_(reconciles_total|stack_status|webhook_requests_total)' | sed 's/^/  /'
kill -TERM "$serve_pid"
wait "$serve_pid" || true
if [[ "$rev" != "$head" ]]; then
  echo "the controller did not deploy ${head:0:12}"
  tail -20 "$work/serve.log"
  exit 1
fi

step "Done; stopping moto_server"
