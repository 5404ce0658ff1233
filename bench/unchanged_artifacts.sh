#!/usr/bin/env bash
# What an unchanged project with images built from the repository and mounted files costs
# per reconcile, against the same project without them (issue #15's target: no upload, no
# build, no more AWS calls).
#
# How to run:
#   ninja -C build ecsync && bench/unchanged_artifacts.sh [BUILD_DIR] [RUNS]
#   (defaults: build, 3; under a minute). BENCH_KEEP=1 keeps the work folder.
# Needs: git, python3 with moto and boto3, /usr/bin/time (GNU time).
#
# Setup: one repository with two projects. plain/compose.yaml runs two services from public
# images. artifacts/compose.yaml is the same two services, but `api` has `build: ./api` (the
# external builder: its image is put into moto's ECR under the tag `ecsync images` names)
# and `web` mounts ./site (60,000 bytes, over what travels inline, so through the template
# bucket). Both are deployed into moto once (not measured). Measured: RUNS more runs of
# `ecsync reconcile --once` of each project through bench/tools/aws_proxy.py, which logs
# every request, counted by service and operation; for the artifacts project once with the
# cache folder kept between runs (a controller, or a CI job that keeps it) and once with a
# new cache folder every run (a CI job that keeps nothing).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
runs=${2:-3}
ecsync=$PWD/$build/cli/ecsync
[[ $build == /* ]] && ecsync=$build/cli/ecsync
[[ -x $ecsync ]] || { echo "unchanged_artifacts: build $ecsync first" >&2; exit 2; }
echo "command: $0 $*"

source bench/tools/common.sh
work=$(mktemp -d "${TMPDIR:-/tmp}/ecsync-artifacts-bench.XXXXXX")
trap bench_cleanup EXIT
moto_env
registry=123456789012.dkr.ecr.us-east-1.amazonaws.com
bucket=ecsync-bench-templates

repo=$work/repo
git init -q -b main "$repo"
(
  cd "$repo"
  git config user.email bench@example.com && git config user.name bench
  mkdir -p plain artifacts/api artifacts/site
  printf 'services:\n  web:\n    image: nginx:1.27\n  api:\n    image: nginx:1.27-alpine\n' \
    >plain/compose.yaml
  printf 'services:\n  web:\n    image: nginx:1.27\n    volumes:\n      - ./site:/usr/share/nginx/html:ro\n  api:\n    build: ./api\n' \
    >artifacts/compose.yaml
  printf 'FROM nginx:1.27-alpine\n' >artifacts/api/Dockerfile
  for i in 0 1 2; do head -c 20000 /dev/zero | tr '\0' "$i" >"artifacts/site/page$i.html"; done
  git add . && git commit -qm "two projects"
)
start_moto "$work"
start_proxy "$work" "$work/aws.log"
machine_line

python3 - "$moto_url" "$bucket" <<'EOF'
import sys, boto3
boto3.client("s3", endpoint_url=sys.argv[1]).create_bucket(Bucket=sys.argv[2])
EOF
# The image CI would push for the artifacts project, put into moto's ECR.
(cd "$repo" && "$ecsync" images -f artifacts/compose.yaml --registry "$registry" --output json) \
  >"$work/images.json"
python3 - "$moto_url" "$registry" "$work/images.json" <<'EOF'
import json, sys, boto3
ecr = boto3.client("ecr", endpoint_url=sys.argv[1])
for image in json.load(open(sys.argv[3])):
    name, tag = image["reference"][len(sys.argv[2]) + 1:].rsplit(":", 1)
    ecr.create_repository(repositoryName=name)
    manifest = {"schemaVersion": 2,
                "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                "config": {"mediaType": "application/vnd.docker.container.image.v1+json",
                           "size": 2, "digest": "sha256:" + "4" * 64}, "layers": []}
    ecr.put_image(repositoryName=name, imageManifest=json.dumps(manifest), imageTag=tag)
EOF

reconcile() {  # endpoint project cache_dir
  "$ecsync" reconcile --once --endpoint-url "$1" --repo "file://$repo" --path "$2/compose.yaml" \
    --stack-name "bench-$2" --cache-dir "$3" --vpc-id vpc-12345678 \
    --subnet-ids subnet-1111aaaa,subnet-2222bbbb --template-bucket "$bucket" \
    --builder external --registry "$registry" --image-wait 5s
}
for project in plain artifacts; do
  reconcile "$moto_url" "$project" "$work/cache" >"$work/setup.out" 2>&1 ||
    { echo "setup of $project failed:" >&2; tail -5 "$work/setup.out" >&2; exit 1; }
done
echo "setup (not measured): both projects deployed; bundle and image in place"

measure() {  # label project cache_dir
  : >"$work/aws.log"
  if ! /usr/bin/time -v bash -c "$(declare -f reconcile); ecsync='$ecsync' repo='$repo' \
      bucket='$bucket' registry='$registry' reconcile '$proxy_url' '$2' '$3'" \
      >"$work/run.out" 2>"$work/run.err"; then
    echo "$1 failed:" >&2; tail -n 5 "$work/run.out" "$work/run.err" >&2; exit 1
  fi
  echo
  echo "$1: $(grep -c 'up to date' "$work/run.out" || true) up to date"
  awk -F': ' '
    /Elapsed \(wall clock\)/ { n = split($2, p, ":"); wall = (n == 3 ? p[1] * 3600 + p[2] * 60 + p[3] : p[1] * 60 + p[2]) }
    /Maximum resident/ { rss = $2 }
    END { printf "  wall %.2f s, peak RSS %.1f MiB\n", wall, rss / 1024 }
  ' "$work/run.err"
  python3 bench/tools/count_calls.py "$work/aws.log"
}
for ((run = 1; run <= runs; run++)); do
  measure "run $run, plain" plain "$work/cache"
  measure "run $run, artifacts, cache folder kept" artifacts "$work/cache"
  measure "run $run, artifacts, new cache folder" artifacts "$work/cache-$run"
done
