#!/usr/bin/env bash
# Installs every Debian package ecsync's build, demo and tests need. Idempotent; run as root.
# Python tools (moto_server, cfn-lint, aws, boto3) come with the machine image; this script only checks them.
# `scripts/setup.sh build` installs only what configuring and compiling needs, so that
# scripts/test.sh can start the build while the rest (browsers, servers, linters) installs.
set -euo pipefail
part=${1:-all}
[[ $part == all || $part == build ]] || { echo "usage: $0 [build]" >&2; exit 2; }

# What `cmake --preset ...` and the compile need.
packages=(
  build-essential cmake ninja-build pkg-config git
  lld  # the linker (CMakeLists.txt: ECSYNC_LINKER); links the sanitized tests several times faster
  libgit2-dev libyaml-cpp-dev nlohmann-json3-dev libcurl4-openssl-dev libssl-dev
  libcpp-httplib-dev prometheus-cpp-dev libpugixml-dev libcli11-dev libspdlog-dev libfmt-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libgpgme-dev  # OpenPGP commit signatures (git/gpg_verify)
  zlib1g-dev  # deflate for the build-context ZIP archives (artifacts/zip_writer)
)
# What the demo, the tests, the fuzzers and the lint run.
[[ $part == all ]] && packages+=(
  gnupg  # gpg makes the tests' signing keys
  openssh-client  # ssh-keygen -Y verifies SSH commit signatures (git/ssh_verify)
  unzip  # zipinfo reads those archives back in tests/artifacts
  clang libclang-rt-14-dev  # libFuzzer targets (scripts/fuzz.sh)
  clang-format clang-tidy  # scripts/lint.sh (.clang-format, .clang-tidy)
  prometheus  # provides promtool, used by the metrics tests
  openssh-server  # a private sshd for the git SSH tests (tests/git/auth_test.cc)
  busybox  # runs the secrets init container's script as the image would (tests/cfn)
  docker-registry  # a real Registry HTTP API v2 on loopback for the image lookups (tests/artifacts)
  tzdata  # the IANA zones deploy windows are read in (schedule/time_zone, tests/schedule)
  curl ca-certificates
  chromium  # headless browser for the status UI test (tests/web/ui_browser_test.cc)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "setup: missing packages ${missing[*]}; run this script as root" >&2
    exit 2
  fi
  export DEBIAN_FRONTEND=noninteractive
  # Package lists this script fetched in the last ten minutes (`setup.sh build`, just before
  # the rest in scripts/test.sh) are used as they are.
  stamp=/var/lib/apt/ecsync-lists-fetched
  if [[ -z $(find "$stamp" -mmin -10 2>/dev/null) ]]; then
    apt-get update
    touch "$stamp"
  fi
  apt-get install -y --no-install-recommends "${missing[@]}"
fi

[[ $part == build ]] && { echo "setup: the build's packages are present"; exit 0; }
for tool in moto_server cfn-lint aws python3; do
  command -v "$tool" >/dev/null || { echo "setup: '$tool' not found on PATH (it ships with the machine image)" >&2; exit 2; }
done
python3 -c 'import boto3' || { echo "setup: python3 cannot import boto3" >&2; exit 2; }
echo "setup: all packages present"
