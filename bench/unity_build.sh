#!/usr/bin/env bash
# Cold compile cost of the asan preset (CI's build) with and without the unity build, in the
# same run: both configured from the preset into fresh folders, ccache off, the same targets
# built with `ninja -j2` in each; prints wall and CPU time per configuration and their ratio.
#
# How to run (from the repository root, on an otherwise idle machine):
#   bench/unity_build.sh [TARGET...]
# Default targets: the multi-file test executables with their libraries (cfn_test,
# reconcile_test, aws_test, compose_test). `all` builds everything (about 40 minutes on two
# cores). BENCH_KEEP=1 keeps the build folders (under $TMPDIR).
set -euo pipefail
cd "$(dirname "$0")/.."
targets=("$@")
((${#targets[@]})) || targets=(cfn_test reconcile_test aws_test compose_test)
work=$(mktemp -d "${TMPDIR:-/tmp}/ecsync-unity-bench.XXXXXX")
[[ ${BENCH_KEEP:-0} == 1 ]] || trap 'rm -rf "$work"' EXIT
export CCACHE_DISABLE=1
unset CMAKE_CXX_COMPILER_LAUNCHER CMAKE_C_COMPILER_LAUNCHER
echo "command: $0 ${targets[*]}; $(nproc) cores; $(c++ --version | head -1)"

declare -A cpu wall
for unity in OFF ON; do
  dir=$work/unity-$unity
  cmake --preset asan -B "$dir" -DCMAKE_UNITY_BUILD="$unity" >"$work/configure-$unity.log" 2>&1
  args=()
  [[ "${targets[*]}" == all ]] || for t in "${targets[@]}"; do args+=("$t"); done
  /usr/bin/time -f '%e %U %S' -o "$work/time-$unity" ninja -C "$dir" -j2 "${args[@]}" \
    >"$work/build-$unity.log" 2>&1 || { tail -20 "$work/build-$unity.log" >&2; exit 1; }
  read -r elapsed user sys <"$work/time-$unity"
  wall[$unity]=$elapsed
  cpu[$unity]=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.1f", u + s }')
  units=$(grep -c 'Building CXX' "$work/build-$unity.log" || true)
  echo "unity $unity: $units compile steps, wall ${wall[$unity]} s, CPU ${cpu[$unity]} s"
done
awk -v a="${cpu[ON]}" -v b="${cpu[OFF]}" -v c="${wall[ON]}" -v d="${wall[OFF]}" \
  'BEGIN { printf "unity / file by file: CPU %.2f, wall %.2f\n", a / b, c / d }'
