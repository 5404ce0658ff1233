#!/usr/bin/env bash
# Scale and failover of `ecsync serve` (issue #19's performance part): one process with
# REPOSITORIES repositories, then three replicas sharing them through DynamoDB.
#
# How to run:
#   ninja -C build ecsync && nice -n 10 bench/replicas_scale.sh [BUILD_DIR] [REPOSITORIES] \
#       [POLL_INTERVAL] [KILLS]
#   (defaults: build, 10000, 2m, 10). BENCH_PARTS="one replicas" picks the parts (default
#   both); BENCH_FRESH="1000 2000" adds first deploys of that many repositories into an empty
#   stack folder; LEASE (15s), RENEW (5s) and SHARDS (64) set the coordination section (the
#   defaults are ecsync's); BENCH_SEED seeds the choice of the replica killed in each round;
#   BENCH_KEEP=1 keeps the work folder; BENCH_CATCHUP_TIMEOUT (1800 s) bounds a kill round; BENCH_ARENAS=0 leaves out part "one"'s second run
#   (with MALLOC_ARENA_MAX=16: glibc's own limit on two cores, against the two arenas serve
#   keeps to by itself). With 10,000 repositories the default run takes about two hours on
#   two shared cores.
# Needs: git, python3 with moto and boto3; gdb for the heap figures (optional).
#
# Setup: REPOSITORIES small bare repositories (one commit, compose.yaml with one service)
# behind one `git daemon` on loopback; a configuration with one repository entry each (one
# project), polled every POLL_INTERVAL, deploying to the offline target (aws.stack_dir), so
# CloudFormation is not what is measured. Every process starts with an empty git cache.
#
# Always: the baseline, `ecsync serve` with one repository (it refuses none): memory, and
# CPU over one poll interval. BENCH_FRESH: a first deploy of N repositories (every stack
# created), until all Ready.
#
# Part "one": first every project is deployed in batches of 1,000 (a first deploy of
# thousands into one folder is slow, see RESULTS.md), then one process with every
# repository and every stack in place (a restart, or a new version rolled out): the time
# from start until /readyz is 200, every project Ready and the queue idle; VmRSS and VmHWM
# then; the CPU it uses over the next poll interval (utime + stime from /proc/PID/stat:
# every repository checked once, nothing changed), with the checks counted from /metrics;
# VmRSS after it, per 1,000 repositories, and glibc's heap in use. Again with
# MALLOC_ARENA_MAX=16, the arenas glibc would make without serve's cap of two.
#
# Part "replicas": moto_server on a free loopback port holds the coordination table (made
# with `ecsync coordination create-table`); three replicas r0, r1, r2 (own caches, the one
# stack folder, as they would share CloudFormation) start together. Measured: the time
# until every replica is ready and idle, every project Ready on some replica and the shards
# split between them; the shards per replica; over the next poll interval each replica's
# CPU and checks, and the DynamoDB writes per shard per renewal period (every write of an
# item grows its version, read from the table); then KILLS rounds of: kill -9 of a random
# replica, the time until the survivors hold every shard (and until they have checked every
# repository of them, with the CPU the git daemon took meanwhile), a restart of the killed
# replica with the same id, and the time until the three are balanced again (see
# bench/tools/replicas.py).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
count=${2:-10000}
poll=${3:-2m}
kills=${4:-10}
parts=${BENCH_PARTS:-one replicas}
lease=${LEASE:-15s}
renew=${RENEW:-5s}
shards=${SHARDS:-64}
seed=${BENCH_SEED:-19}
ecsync=$PWD/$build/cli/ecsync
[[ $build == /* ]] && ecsync=$build/cli/ecsync
[[ -x $ecsync ]] || { echo "replicas_scale: build $ecsync first (ninja -C $build ecsync)" >&2; exit 2; }
echo "command: $0 $* (BENCH_PARTS=\"$parts\" LEASE=$lease RENEW=$renew SHARDS=$shards BENCH_SEED=$seed)"

source bench/tools/common.sh
work=$(mktemp -d "${TMPDIR:-/tmp}/ecsync-replicas-bench.XXXXXX")
trap bench_cleanup EXIT
poll_s=$(duration_seconds "$poll")
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
memory() { echo "VmRSS $(proc_mib "$1" VmRSS) MiB, VmHWM $(proc_mib "$1" VmHWM) MiB"; }
# checks URL: repository checks so far (ecsync_git_fetch_duration_seconds_count, summed).
checks() {
  curl -sf "$1/metrics" | awk '/^ecsync_git_fetch_duration_seconds_count/ { s += $NF } END { print s + 0 }'
}
# stop PID: SIGTERM, then reaped and forgotten.
stop() {
  kill -TERM "$1"
  reap "$1"
}
# reap PID: waits for a process that was signalled.
reap() {
  wait "$1" || true
  bench_untrack "$1"
}
# idle_cycle PID URL LABEL: CPU over one poll interval, the checks in it, memory after it.
idle_cycle() {
  local before cpu
  before=$(checks "$2")
  cpu=$(proc_cpu "$1")
  sleep "$poll_s"
  cpu=$(awk -v a="$cpu" -v b="$(proc_cpu "$1")" 'BEGIN { printf "%.2f", b - a }')
  echo "  one poll interval ($poll) later: CPU $cpu s for $(($(checks "$2") - before))" \
    "repository checks in it; $(memory "$1")"
}
# heap PID LOG: glibc's own count of the heap (malloc_stats, called through gdb when it is
# installed; printed to the process's stderr, LOG): the bytes in use beside the bytes the
# arenas hold, which is what RSS sees.
heap() {
  command -v gdb >/dev/null || return 0
  local lines
  lines=$(wc -l <"$2")
  gdb -p "$1" -batch -ex 'call (void)malloc_stats()' >/dev/null 2>&1 || return 0
  sleep 1
  tail -n +"$((lines + 1))" "$2" | awk '/^Total/ { total = 1 } total && /^system bytes/ { s = $4 }
    total && /^in use bytes/ { u = $5 }
    END { if (s) printf "  malloc_stats: %.1f MiB in use of %.1f MiB held by the arenas\n", u / 1048576, s / 1048576 }'
}
# run_one LABEL COUNT STACK_DIR [ENV...]: one process with COUNT repositories (a cold cache)
# until all Ready, then one idle poll interval; sets rss (MiB after it).
run_one() {
  local label=$1 n=$2 stacks=$3 start
  shift 3
  offline_config "$work/cache-$label" "$stacks" "$n" "$poll" >"$work/$label.yaml"
  start=$(date +%s.%N)
  start_serve "$work/$label.yaml" "$work/$label.log" "$work/$label.port" "$@"
  python3 bench/tools/wait_ready.py --serve "http://127.0.0.1:$admin_port" --projects "$n" \
    --pid "$serve_pid" --timeout 14400 --interval 2 >/dev/null
  echo "$label${*:+ ($*)}, $n repositories: all Ready $(elapsed "$start") s after start;" \
    "$(memory "$serve_pid"), CPU $(proc_cpu "$serve_pid") s"
  idle_cycle "$serve_pid" "http://127.0.0.1:$admin_port"
  rss=$(proc_mib "$serve_pid" VmRSS)
  heap "$serve_pid" "$work/$label.log"
  stop "$serve_pid"
  rm -rf "$work/cache-$label"
}
# seed_stacks DIR: every project deployed, in batches of 1,000 processes each with its own
# stack folder (a first deploy slows down with the stacks in its folder: see RESULTS.md),
# then all moved into DIR.
seed_stacks() {
  local first n start
  start=$(date +%s.%N)
  mkdir -p "$1"
  for ((first = 0; first < count; first += 1000)); do
    n=$((count - first < 1000 ? count - first : 1000))
    offline_config "$work/cache-seed" "$work/seed-stacks" "$n" 1h "$first" >"$work/seed.yaml"
    rm -f "$work/seed.port"
    start_serve "$work/seed.yaml" "$work/seed.log" "$work/seed.port"
    python3 bench/tools/wait_ready.py --serve "http://127.0.0.1:$admin_port" --projects "$n" \
      --pid "$serve_pid" --timeout 1800 --interval 1 >/dev/null
    stop "$serve_pid"
    find "$work/seed-stacks" -maxdepth 1 -name '*.json' -exec mv -t "$1" {} +
    rm -rf "$work/seed-stacks" "$work/cache-seed"
  done
  echo "(set-up: $count stacks deployed in batches of 1,000 in $(elapsed "$start") s)"
}

small_repositories "$work" "$count"
start_git_daemon "$work/repos"
machine_line
echo "repositories: $count (one project each), poll_interval $poll, offline target (stack_dir)"

run_one baseline 1 "$work/stacks-baseline"
base_rss=$rss
per_thousand() {  # LABEL
  awk -v rss="$rss" -v base="$base_rss" -v n="$count" -v l="$1" 'BEGIN {
    printf "  %s: RSS per 1,000 repositories %.1f MiB (%.1f MiB above the 1-repository baseline)\n",
      l, rss / n * 1000, (rss - base) / n * 1000 }'
}

for n in ${BENCH_FRESH:-}; do
  run_one "fresh-$n" "$n" "$work/stacks-fresh-$n"
  rm -rf "$work/stacks-fresh-$n"
done

if [[ " $parts " == *" one "* || " $parts " == *" replicas "* ]]; then seed_stacks "$work/stacks"; fi
if [[ " $parts " == *" one "* ]]; then
  run_one deployed "$count" "$work/stacks"
  per_thousand "every stack deployed"
  if [[ ${BENCH_ARENAS:-1} == 1 ]]; then
    run_one deployed-arenas "$count" "$work/stacks" MALLOC_ARENA_MAX=16
    per_thousand "MALLOC_ARENA_MAX=16"
  fi
fi

if [[ " $parts " == *" replicas "* ]]; then
  moto_env
  start_moto "$work"
  table=ecsync-bench
  AWS_ENDPOINT_URL=$moto_url "$ecsync" coordination create-table --table "$table" >/dev/null
  ids=(r0 r1 r2)
  pids=() urls=()
  start_replica() {  # index
    local id=${ids[$1]}
    if [[ ! -f $work/$id.yaml ]]; then
      {
        offline_config "$work/cache-$id" "$work/stacks" "$count" "$poll"
        echo "coordination: {dynamodb: {table: $table}, shards: $shards, lease_duration: $lease," \
          "renew_interval: $renew, replica_id: $id}"
      } >"$work/$id.yaml"
    fi
    rm -f "$work/$id.port"
    start_serve "$work/$id.yaml" "$work/$id.log" "$work/$id.port" AWS_ENDPOINT_URL_DYNAMODB="$moto_url"
    pids[$1]=$serve_pid
    urls[$1]=http://127.0.0.1:$admin_port
  }
  joined() { local IFS=,; echo "$*"; }

  start=$(date +%s.%N)
  for i in 0 1 2; do start_replica "$i"; done
  python3 bench/tools/replicas.py ready --serve "$(joined "${urls[@]}")" --projects "$count" \
    --shards "$shards" --timeout 7200 >"$work/ready.out"
  echo "three replicas, $count repositories, $shards shards, lease $lease, renew $renew:" \
    "all Ready $(elapsed "$start") s after start; $(tail -1 "$work/ready.out")"
  for i in 0 1 2; do echo "  ${ids[i]}: $(memory "${pids[i]}"), CPU $(proc_cpu "${pids[i]}") s"; done

  # Steady state over one poll interval: every replica checks its repositories once, and
  # renews its leases every renewal period.
  renew_s=$(duration_seconds "$renew")
  python3 bench/tools/replicas.py snapshot --endpoint "$moto_url" --table "$table" >"$work/before.json"
  cpus=() before=()
  for i in 0 1 2; do cpus[i]=$(proc_cpu "${pids[i]}") before[i]=$(checks "${urls[i]}"); done
  sleep "$poll_s"
  python3 bench/tools/replicas.py snapshot --endpoint "$moto_url" --table "$table" >"$work/after.json"
  echo "  one poll interval ($poll) later:"
  for i in 0 1 2; do
    echo "    ${ids[i]}: CPU $(awk -v a="${cpus[i]}" -v b="$(proc_cpu "${pids[i]}")" 'BEGIN { printf "%.2f", b - a }') s" \
      "for $(($(checks "${urls[i]}") - before[i])) repository checks; $(memory "${pids[i]}");" \
      "DynamoDB calls so far: $(curl -sf "${urls[i]}/metrics" |
        awk -F'[{}]' '/^ecsync_aws_requests_total\{/ && tolower($2) ~ /dynamodb/ {
          match($2, /operation="[^"]*"/); op = substr($2, RSTART + 11, RLENGTH - 12)
          n[op] += $3 } END { for (op in n) printf "%s %d ", op, n[op] }')"
  done
  python3 bench/tools/replicas.py writes --before "$work/before.json" --after "$work/after.json" \
    --renew "$renew_s" --shards "$shards" | sed 's/^/    /'

  RANDOM=$seed
  for ((round = 1; round <= kills; round++)); do
    victim=$((RANDOM % 3))
    survivors=()
    for i in 0 1 2; do [[ $i == "$victim" ]] || survivors+=("${urls[i]}"); done
    printf 'kill %d: ' "$round"
    # bash reports a background job killed by a signal on its own stderr: not here.
    exec 3>&2 2>/dev/null
    python3 bench/tools/replicas.py failover --kill "${pids[victim]}" --endpoint "$moto_url" \
      --table "$table" --ids "$(joined "${ids[@]}")" --victim "${ids[victim]}" \
      --serve "$(joined "${survivors[@]}")" --shards "$shards" --log "$work/failover.jsonl" \
      --git-daemon "$git_daemon_pid" --timeout "${BENCH_CATCHUP_TIMEOUT:-1800}" 2>&3
    reap "${pids[victim]}"
    exec 2>&3 3>&-
    start_replica "$victim"
    echo "  restarted ${ids[victim]}: $(python3 bench/tools/replicas.py balanced \
      --serve "$(joined "${urls[@]}")" --shards "$shards")"
  done
  if ((kills > 0)); then
    python3 bench/tools/replicas.py summary --log "$work/failover.jsonl" \
      --lease "$(duration_seconds "$lease")" --renew "$renew_s" --poll "$poll_s"
  fi
  for i in 0 1 2; do echo "  ${ids[i]} at the end: $(memory "${pids[i]}")"; done
fi
