#!/usr/bin/env bash
# Cost of one poll cycle: ecsync's RemoteHead (bench/git_poll_bench.cc) against
# `git ls-remote URL HEAD`, over the same N small bare repositories served by one
# `git daemon` on loopback, in the same run.
#
# Usage: bench/git_poll_bench.sh [BUILD_DIR] [N]     (defaults: build, 1000)
# Needs BUILD_DIR/bench/git_poll_bench (configure with -DECSYNC_BUILD_BENCH=ON, the default).
# Prints wall and CPU (user + system) seconds for each side and their ratios; exits non-zero
# when a request fails.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
count=${2:-1000}
driver=$build/bench/git_poll_bench
[[ -x $driver ]] || { echo "git_poll_bench: build $driver first (ninja -C $build git_poll_bench)" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/ecsync-git-poll-bench.XXXXXX")
daemon_pid=
cleanup() {
  if [[ -n $daemon_pid ]]; then kill "$daemon_pid" 2>/dev/null || true; wait "$daemon_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# N small bare repositories: copies of one with two files, two commits, a branch and a tag.
git init -q -b main "$work/seed"
(
  cd "$work/seed"
  git config user.email bench@example.com && git config user.name bench
  printf 'services:\n  web:\n    image: nginx\n' > compose.yaml && git add . && git commit -qm one
  printf 'X=1\n' > .env && git add . && git commit -qm two
  git branch release && git tag -a v1 -m v1
)
git clone -q --bare "$work/seed" "$work/template.git"
mkdir "$work/repos"
for ((i = 0; i < count; i++)); do cp -r "$work/template.git" "$work/repos/repo$i"; done

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
git daemon --reuseaddr --base-path="$work/repos" --export-all --listen=127.0.0.1 --port="$port" \
  --max-connections=64 "$work/repos" 2>"$work/daemon.log" &
daemon_pid=$!
for ((i = 0; i < 200; i++)); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
  sleep 0.05
done
git ls-remote -q "git://127.0.0.1:$port/repo0" HEAD >/dev/null  # fails fast if the daemon is not up
prefix="git://127.0.0.1:$port/repo"

echo "machine: $(nproc) cores, $(uname -sr), $(git --version), libgit2 $(pkg-config --modversion libgit2 2>/dev/null || echo '?')"
echo "repositories: $count, served by one git daemon on 127.0.0.1:$port"

# ecsync: the driver prints one line per cycle; the first cycle of each run also pays for
# process start and libgit2 initialization.
"$driver" --url-prefix "$prefix" --count "$count" --threads 1 --cycles 3 | tee "$work/seq.txt"
"$driver" --url-prefix "$prefix" --count "$count" --threads 4 --cycles 3 | tee "$work/pool.txt"

# git ls-remote, sequentially; bash's `time` includes the children's CPU. Twice: with git's
# default protocol (v2, which over git:// waits for one more round trip) and with
# protocol.version=0, which advertises refs at once as libgit2 does.
TIMEFORMAT='%R %U %S'
ls_remote() {  # label, output file, extra git options...
  local label=$1 out=$2 run i
  shift 2
  for run in 1 2 3; do
    { time (for ((i = 0; i < count; i++)); do git "$@" ls-remote -q "$prefix$i" HEAD >/dev/null; done); } 2>>"$out"
    read -r wall user sys < <(tail -1 "$out")
    echo "$label run $run repos $count wall_s $wall cpu_s $(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.3f", u + s }')"
  done
}
ls_remote "ls-remote (v2)" "$work/ls.txt"
ls_remote "ls-remote (v0)" "$work/ls0.txt" -c protocol.version=0

# Medians over the three runs of each side.
median() { sort -g | sed -n 2p; }
seq_wall=$(awk '{print $8}' "$work/seq.txt" | median)
seq_cpu=$(awk '{print $10}' "$work/seq.txt" | median)
pool_wall=$(awk '{print $8}' "$work/pool.txt" | median)
pool_cpu=$(awk '{print $10}' "$work/pool.txt" | median)
ls_wall=$(awk '{print $1}' "$work/ls.txt" | median)
ls_cpu=$(awk '{print $2 + $3}' "$work/ls.txt" | median)
ls0_wall=$(awk '{print $1}' "$work/ls0.txt" | median)
ls0_cpu=$(awk '{print $2 + $3}' "$work/ls0.txt" | median)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
row() {  # label wall cpu
  printf '%-20s %8.3f %7.3f %10s %9s %10s %9s\n' "$1" "$2" "$3" "$(ratio "$2" "$ls_wall")" \
    "$(ratio "$3" "$ls_cpu")" "$(ratio "$2" "$ls0_wall")" "$(ratio "$3" "$ls0_cpu")"
}
echo
echo "median of 3 cycles     wall_s   cpu_s  wall/v2   cpu/v2   wall/v0   cpu/v0"
row "ecsync sequential" "$seq_wall" "$seq_cpu"
row "ecsync 4 threads" "$pool_wall" "$pool_cpu"
row "ls-remote (v2)" "$ls_wall" "$ls_cpu"
row "ls-remote (v0)" "$ls0_wall" "$ls0_cpu"
