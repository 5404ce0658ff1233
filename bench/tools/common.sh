# Shared pieces of the controller benchmarks (webhook_latency.sh, notify_latency.sh,
# controller_memory.sh, noop_cycle.sh, replicas_scale.sh). Sourced, not run. Needs: python3 with moto and boto3, git.
#
# Every background process a bench starts is recorded with bench_track PID and stopped (by
# its own pid, children first by process group where it has one) by bench_cleanup, which the
# sourcing script installs as its EXIT trap together with removing $work.

bench_pids=()
bench_track() { bench_pids+=("$1"); }
# bench_untrack PID: forget a process the bench has already reaped (its pid may be reused).
bench_untrack() {
  local i
  for i in "${!bench_pids[@]}"; do
    [[ ${bench_pids[i]} == "$1" ]] && unset 'bench_pids[i]'
  done
  bench_pids=("${bench_pids[@]}")
}

bench_cleanup() {
  local i pid
  for ((i = ${#bench_pids[@]} - 1; i >= 0; i--)); do
    pid=${bench_pids[i]}
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${bench_pids[@]}"; do
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if [[ -n ${work:-} && ${BENCH_KEEP:-0} != 1 ]]; then rm -rf "$work"; fi
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_for_port PORT [SECONDS]: until 127.0.0.1:PORT accepts a connection.
wait_for_port() {
  local port=$1 limit=${2:-60} i
  for ((i = 0; i < limit * 20; i++)); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  echo "nothing listens on 127.0.0.1:$port after ${limit}s" >&2
  return 1
}

# wait_for_file FILE [SECONDS]
wait_for_file() {
  local file=$1 limit=${2:-60} i
  for ((i = 0; i < limit * 20; i++)); do
    [[ -s $file ]] && return 0
    sleep 0.05
  done
  echo "$file did not appear after ${limit}s" >&2
  return 1
}

# The fake credentials every process (ecsync, boto3, the AWS CLI) uses against moto.
moto_env() {
  export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1 \
    AWS_DEFAULT_REGION=us-east-1 AWS_SHARED_CREDENTIALS_FILE=/nonexistent/credentials \
    AWS_CONFIG_FILE=/nonexistent/config AWS_PAGER=
  unset AWS_SESSION_TOKEN AWS_PROFILE AWS_ENDPOINT_URL
}

# start_moto DIR: moto (with ecsync's additions) on a free port; sets moto_port, moto_url.
start_moto() {
  moto_port=$(free_port)
  python3 tests/support/moto_ecsync.py -H 127.0.0.1 -p "$moto_port" >"$1/moto.log" 2>&1 &
  bench_track $!
  wait_for_port "$moto_port" 60
  moto_url="http://127.0.0.1:$moto_port"
}

# start_proxy DIR LOG: bench/tools/aws_proxy.py in front of moto; sets proxy_url.
start_proxy() {
  python3 bench/tools/aws_proxy.py --upstream "$moto_url" --log "$2" \
    --port-file "$1/proxy.port" >"$1/proxy.err" 2>&1 &
  bench_track $!
  wait_for_file "$1/proxy.port" 30
  proxy_url="http://127.0.0.1:$(cat "$1/proxy.port")"
}

# start_git_daemon BASE_DIR: serves every repository under BASE_DIR; sets git_port and
# git_daemon_pid.
start_git_daemon() {
  git_port=$(free_port)
  git daemon --reuseaddr --base-path="$1" --export-all --listen=127.0.0.1 --port="$git_port" \
    --max-connections=64 "$1" 2>"$1/../daemon.log" &
  git_daemon_pid=$!
  bench_track $!
  wait_for_port "$git_port" 30
}

# small_repositories DIR COUNT: DIR/repos/repo0 ... repo<COUNT-1>, bare copies of one
# repository (branch main, one commit) holding compose.yaml with one service.
small_repositories() {
  local dir=$1 count=$2 i
  git init -q -b main "$dir/seed"
  git -C "$dir/seed" config user.email bench@example.com
  git -C "$dir/seed" config user.name bench
  printf 'services:\n  web:\n    image: nginx:1.27-alpine\n    ports: ["80:80"]\n' \
    >"$dir/seed/compose.yaml"
  git -C "$dir/seed" add compose.yaml
  git -C "$dir/seed" commit -qm one
  git clone -q --bare "$dir/seed" "$dir/template.git"
  rm -rf "$dir/template.git/hooks"  # git's sample hooks: most of a small repository's bytes
  mkdir "$dir/repos"
  for ((i = 0; i < count; i++)); do cp -r "$dir/template.git" "$dir/repos/repo$i"; done
}

# offline_config CACHE_DIR STACK_DIR COUNT POLL_INTERVAL [FIRST]: prints a configuration with
# one repository entry for each of COUNT repositories of small_repositories from repo<FIRST>
# on (served by start_git_daemon), each with one project, deploying to the offline target
# (stack files, nothing calls AWS).
offline_config() {
  local i first=${5:-0}
  echo "cache_dir: $1"
  echo "aws: {stack_dir: $2, vpc_id: vpc-12345678, subnet_ids: [subnet-1111aaaa]}"
  echo "repositories:"
  for ((i = first; i < first + $3; i++)); do
    echo "  - {name: repo$i, url: \"git://127.0.0.1:$git_port/repo$i\", poll_interval: $4, projects: [{files: compose.yaml}]}"
  done
}

# duration_seconds DURATION: seconds in a configuration duration (90, 1.5s, 2m, 1h30m).
duration_seconds() {
  python3 -c "
import re, sys
t = sys.argv[1]
units = {'ms': 0.001, 's': 1, 'm': 60, 'h': 3600}
print(float(t) if t.replace('.', '').isdigit() else
      sum(float(n) * units[u] for n, u in re.findall(r'([0-9.]+)(ms|s|m|h)', t)))" "$1"
}

# proc_mib PID FIELD: a /proc/PID/status size field (VmRSS, VmHWM) in MiB, one decimal.
proc_mib() {
  awk -v f="$2:" '$1 == f { printf "%.1f", $2 / 1024 }' "/proc/$1/status"
}

# proc_cpu PID: user + system CPU seconds the process has used (/proc/PID/stat).
proc_cpu() {
  awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.2f", ($12 + $13) / hz }' \
    "/proc/$1/stat"
}

# start_serve CONFIG LOG PORT_FILE [extra env...]: `ecsync serve`; sets serve_pid, serve_port
# (the public port: webhooks) and admin_port (health, status, metrics).
start_serve() {
  local config=$1 log=$2 port_file=$3
  shift 3
  env "$@" "$ecsync" --log-format json serve --config "$config" --listen 127.0.0.1:0 \
    --admin-listen 127.0.0.1:0 --port-file "$port_file" >"$log" 2>&1 &
  serve_pid=$!
  bench_track "$serve_pid"
  local i
  for ((i = 0; i < 1200; i++)); do
    [[ -s $port_file ]] && break
    kill -0 "$serve_pid" 2>/dev/null || { echo "ecsync serve exited:" >&2; tail -20 "$log" >&2; return 1; }
    sleep 0.05
  done
  [[ -s $port_file ]] || { echo "ecsync serve did not write $port_file" >&2; return 1; }
  read -r serve_port _ admin_port <"$port_file"
}

# history_repo DIR: a git repository at DIR, branch main, with a history of 30 commits and
# then compose.yaml (one service, 1 replica). Real repositories have long histories:
# libgit2's fetch sends "have" lines in batches of 20 and waits for the server's answer after
# each batch, so a fetch into a clone with 20 or more commits takes one more round trip than
# into a younger one.
history_repo() {
  local repo=$1 i
  git init -q -b main "$repo"
  git -C "$repo" config user.email bench@example.com
  git -C "$repo" config user.name bench
  for ((i = 0; i < 30; i++)); do
    echo "$i" >"$repo/HISTORY"
    git -C "$repo" add HISTORY
    git -C "$repo" commit -qm "history $i"
  done
  printf 'services:\n  web:\n    image: nginx:1.27-alpine\n    deploy:\n      replicas: 1\n' \
    >"$repo/compose.yaml"
  git -C "$repo" add compose.yaml
  git -C "$repo" commit -qm first
}

machine_line() {
  echo "machine: $(nproc) cores, $(uname -sr), load average $(cut -d' ' -f1-3 /proc/loadavg)," \
    "$(git --version), moto $(python3 -c 'import moto; print(moto.__version__)')"
}
