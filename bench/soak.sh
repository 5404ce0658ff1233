#!/usr/bin/env bash
# Soak of `ecsync serve` (bench/soak.py has the details): 30 minutes of valid signed pushes for
# 100 repositories, forged webhooks, slow clients and oversized headers while the projects
# deploy to moto; records RSS over time, /healthz p50/p99 per minute, webhook to first
# CloudFormation call, and the outcome of every request class; fails when RSS grows after the
# warm-up, /healthz p99 reaches 50 ms, a valid push is not deployed or anything else is.
#
# How to run:
#   cmake --build build --target ecsync && bench/soak.sh [BUILD_DIR] [soak.py flags...]
#   e.g. bench/soak.sh build                                  (the full 30-minute soak)
#        bench/soak.sh build --duration 120 --repos 20        (a short development run)
#   The result goes to soak-result.json (--output FILE to change); --keep keeps the work folder.
# Needs: git, python3 with moto and boto3.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
[[ $# -gt 0 ]] && shift
ecsync=$PWD/$build/cli/ecsync
[[ $build == /* ]] && ecsync=$build/cli/ecsync
[[ -x $ecsync ]] || { echo "soak: build $ecsync first (cmake --build $build --target ecsync)" >&2; exit 2; }
echo "command: $0 $build $*"
echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
exec python3 bench/soak.py --ecsync "$ecsync" "$@"
