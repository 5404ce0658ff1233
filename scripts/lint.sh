#!/usr/bin/env bash
# Checks C++ files with clang-format (.clang-format) and clang-tidy (.clang-tidy).
#   scripts/lint.sh              the .h/.cc files this branch touches: changed since its merge
#                                base with main, plus uncommitted and untracked ones
#   scripts/lint.sh --all        every .h/.cc file of the repository (tests and bench included)
#   scripts/lint.sh FILE...      just those files
# Options: --build-dir DIR (default build/) names the build whose compile_commands.json
# clang-tidy reads; a missing one is configured with `cmake --preset default` (configuring is
# enough: no source is generated at build time), and a unity build's gets an unbatched twin
# in DIR/lint-db. --no-tidy checks the formatting only.
# Environment: ECSYNC_LINT_BASE (default main, else origin/main) is the branch a change is
# compared with; ECSYNC_LINT_JOBS (default: the core count) clang-tidy processes at once.
# Prints one `file:line:col: check: message` line per finding, then a count per check, and
# exits 1 when there is any finding (2 on bad usage).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

mode=changed build_dir=build tidy=1
files=()
while (($#)); do
  case "$1" in
    --all) mode=all ;;
    --build-dir) build_dir=${2:?--build-dir needs a folder}; shift ;;
    --no-tidy) tidy=0 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    -*) echo "usage: $0 [--all] [--build-dir DIR] [--no-tidy] [FILE...]" >&2; exit 2 ;;
    *) mode=files; files+=("$1") ;;
  esac
  shift
done
clang_format=${CLANG_FORMAT:-clang-format}
clang_tidy=${CLANG_TIDY:-clang-tidy}
for tool in "$clang_format" "$clang_tidy"; do
  command -v "$tool" >/dev/null || { echo "lint: $tool not found; run scripts/setup.sh" >&2; exit 2; }
done

# Our C++ files only: build trees and any vendored code (a third_party/ folder) are never ours
# to reformat.
ours() { grep -E '\.(h|cc)$' | grep -vE '(^|/)(third_party|build[^/]*)/' || true; }
case "$mode" in
  all) mapfile -t files < <(git ls-files | ours) ;;
  changed)
    base=${ECSYNC_LINT_BASE:-main}
    git rev-parse -q --verify "$base^{commit}" >/dev/null || base=origin/main
    merge_base=$(git merge-base HEAD "$base")
    # Committed on this branch, staged, unstaged, and new files not yet added.
    mapfile -t files < <({ git diff --name-only --diff-filter=d "$merge_base"
                           git ls-files --others --exclude-standard; } | sort -u | ours) ;;
esac
existing=()
for f in "${files[@]}"; do [[ -f "$f" ]] && existing+=("${f#./}"); done
files=("${existing[@]}")
if ((${#files[@]} == 0)); then
  echo "lint: no C++ files to check"
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf '%s\n' "${files[@]}" >"$work/files"

# clang-format prints `file:line:col: error: code should be clang-formatted` and then the line;
# keep the location and say what to run.
"$clang_format" --dry-run -Werror "${files[@]}" 2>&1 |
  sed -nE 's|^(\./)?([^:]+):([0-9]+):([0-9]+): error: code should be clang-formatted.*|\2:\3:\4: clang-format: not formatted (clang-format -i \2)|p' \
  >"$work/findings" || true

if ((tidy)); then
  db=$build_dir/compile_commands.json
  if [[ ! -f "$db" && "$build_dir" == build ]]; then
    cmake --preset default >/dev/null
  fi
  [[ -f "$db" ]] || { echo "lint: $db is missing; run scripts/build.sh first" >&2; exit 2; }
  # A unity build (CMAKE_UNITY_BUILD, the asan preset's) compiles batches of sources, and its
  # database names only the batches. clang-tidy checks each file on its own, so configure the
  # same build without batches beside it (configuring only: a few seconds) and read that.
  if grep -q '/Unity/unity_' "$db"; then
    unbatched=$build_dir/lint-db
    mapfile -t cache_args < <(awk -F= '/^(ECSYNC_[A-Z_]*|CMAKE_BUILD_TYPE|CMAKE_CXX_COMPILER|CMAKE_CXX_FLAGS[A-Z_]*):/ {
      print "-D" $1 "=" substr($0, length($1) + 2) }' "$build_dir/CMakeCache.txt")
    generator=$(sed -n 's/^CMAKE_GENERATOR:INTERNAL=//p' "$build_dir/CMakeCache.txt")
    cmake -S "$root" -B "$unbatched" ${generator:+-G "$generator"} "${cache_args[@]}" \
      -DCMAKE_UNITY_BUILD=OFF -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >"$work/lint-db.log" 2>&1 ||
      { cat "$work/lint-db.log" >&2; echo "lint: could not configure $unbatched" >&2; exit 2; }
    build_dir=$unbatched db=$unbatched/compile_commands.json
  fi
  # clang-tidy runs on translation units. A changed header is checked through the .cc beside
  # it, or else through one file that includes it; files the build does not compile (the
  # libFuzzer targets outside a clang build) get the repository's include path and C++20.
  python3 - "$db" "$root" "$work/files" >"$work/units" <<'EOF'
import json, os, subprocess, sys
db, root, listing = sys.argv[1:4]
compiled = {os.path.relpath(os.path.join(e["directory"], e["file"]), root)
            for e in json.load(open(db))}
units = []
for f in open(listing).read().split():
    if f.endswith(".cc"):
        units.append(f)
        continue
    sibling = f[:-2] + ".cc"
    if sibling in compiled:
        units.append(sibling)
        continue
    users = subprocess.run(["git", "grep", "-l", f'#include "{f}"', "--", "*.cc"],
                           capture_output=True, text=True).stdout.split()
    users = [u for u in users if u in compiled]
    if users:
        units.append(users[0])
for u in sorted(set(units)):
    print(("db " if u in compiled else "bare ") + u)
EOF
  # Units whose inputs are byte for byte those of a clean earlier run are not checked again
  # (scripts/tidy_keys.py says what a key covers; .ci/tidy-clean lists the clean ones).
  cache=$root/.ci/tidy-clean
  python3 "$root/scripts/tidy_keys.py" "$build_dir/compile_commands.json" "$root" "$work/units" \
    >"$work/keys"
  touch "$cache"
  awk 'FILENAME == ARGV[1] { if ($0 !~ /^#/) clean[$0] = 1; next } ($2 in clean) { print $1 }' \
    "$cache" "$work/keys" >"$work/cached"
  cached=$(wc -l <"$work/cached")
  awk 'FILENAME == ARGV[1] { skip[$1] = 1; next } !($2 in skip)' "$work/cached" "$work/units" \
    >"$work/to_check"
  echo "lint: clang-tidy on $(wc -l <"$work/to_check") units ($cached unchanged since a clean run)" >&2
  tidy_one() {
    local kind=$1 unit=$2 out
    out=$work/tidy/${unit//\//_}
    if [[ "$kind" == db ]]; then
      "$clang_tidy" --quiet -p "$build_dir" "$unit" >"$out" 2>&1 || echo "$unit" >>"$work/failed"
    else
      "$clang_tidy" --quiet "$unit" -- -std=c++20 -I"$root" >"$out" 2>&1 ||
        echo "$unit" >>"$work/failed"
    fi
  }
  export -f tidy_one
  export clang_tidy build_dir root work
  mkdir "$work/tidy"
  xargs -r -a "$work/to_check" -L1 -P "${ECSYNC_LINT_JOBS:-$(nproc)}" bash -c 'tidy_one "$@"' _
  # Remember the units found clean: no finding anywhere in their output and no failure.
  {
    awk 'FILENAME == ARGV[1] { keep[$1] = 1; next } ($1 in keep) { print $2 }' "$work/cached" "$work/keys"
    while read -r kind unit; do
      out=$work/tidy/${unit//\//_}
      grep -qE ': (warning|error): ' "$out" && continue
      if [[ -f "$work/failed" ]] && grep -qxF "$unit" "$work/failed"; then continue; fi
      awk -v u="$unit" '$1 == u { print $2 }' "$work/keys"
    done <"$work/to_check"
    # A partial run keeps what it did not look at; a run over every file drops stale keys.
    [[ "$mode" == all ]] || grep -v '^#' "$cache" || true
  } | sort -u >"$work/clean"
  { echo "# Keys of translation units clang-tidy found clean (scripts/tidy_keys.py); written"
    echo "# by scripts/lint.sh from the build-asan/ compile commands CI uses. Safe to delete."
    cat "$work/clean"; } >"$cache"
  # `/abs/path:line:col: warning: message [check]` -> `path:line:col: check: message`, once per
  # location even when several units include the same header.
  find "$work/tidy" -type f -exec cat {} + | sed "s|^$root/||" |
    sed -nE 's/^([^ :]+):([0-9]+):([0-9]+): (warning|error): (.*) \[([^]]+)\]$/\1:\2:\3: \6: \5/p' |
    sort -u >>"$work/findings"
  # A unit clang-tidy could not process without reporting a finding (a broken command line, a
  # crash) is a failure too, shown in full.
  if [[ -f "$work/failed" ]]; then
    while read -r unit; do
      grep -q "^$unit:" "$work/findings" && continue
      echo "lint: clang-tidy failed on $unit:" >&2
      cat "$work/tidy/${unit//\//_}" >&2
      echo "$unit:1:1: clang-tidy: could not be checked" >>"$work/findings"
    done <"$work/failed"
  fi
fi

if [[ "$mode" != all ]]; then
  # Findings in the files asked about; a header's other includers are not this change's.
  awk -F: 'NR == FNR { asked[$0] = 1; next } $1 in asked' "$work/files" "$work/findings" \
    >"$work/shown"
else
  # Every finding in our own code (the header filter already leaves third-party headers out).
  grep -vE '^(/|([^:]*/)?(third_party|build[^/]*)/)' "$work/findings" >"$work/shown" || true
fi
sort -t: -k1,1 -k2,2n -u "$work/shown" -o "$work/shown"
if [[ ! -s "$work/shown" ]]; then
  echo "lint: ${#files[@]} files clean"
  exit 0
fi
cat "$work/shown"
echo "lint: $(wc -l <"$work/shown") findings in ${#files[@]} files checked:"
awk -F': ' '{print $2}' "$work/shown" | sort | uniq -c | sort -rn
exit 1
