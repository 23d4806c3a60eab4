#!/usr/bin/env bash
# The two entry points of the README, on a fresh Debian 12 machine (root, base toolchain):
#   bash scripts/bootstrap.sh run    install what is missing, build (Release), run the default job
#   bash scripts/bootstrap.sh test   install what is missing, build with ASan+UBSan, run all tests
# Idempotent: packages already installed are not fetched again; builds are incremental.
set -euo pipefail
cd "$(dirname "$0")/.."

mode="${1:-}"
if [[ "$mode" != "run" && "$mode" != "test" ]]; then
  echo "usage: bash scripts/bootstrap.sh run|test" >&2
  exit 2
fi

packages=(cmake ninja-build g++ libboost-graph-dev libyaml-cpp-dev libgtest-dev libgmock-dev
          libbenchmark-dev nlohmann-json3-dev)
# The tests open report.html in a real headless browser (tests/scenarios/report_browser_test.cc).
if [[ "$mode" == "test" ]]; then packages+=(chromium); fi
# ... and run `fleetsim size` on 2 MPI ranks (tests/scenarios/study_test.cc, SizingMpiTest).
if [[ "$mode" == "test" ]]; then packages+=(libopenmpi-dev openmpi-bin); fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "==> installing Debian packages: ${missing[*]}"
  sudo_cmd=()
  [[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

jobs=$(nproc)
if [[ "$mode" == "run" ]]; then
  echo "==> building (Release)"
  cmake --preset release >/dev/null
  cmake --build --preset release --target fleetsim -j "$jobs"
  echo "==> fleetsim run scenarios/chatbot-launch.yaml (outputs in out/chatbot-launch/)"
  ./build/release/scenarios/fleetsim run scenarios/chatbot-launch.yaml -o out/chatbot-launch
else
  echo "==> building the tests (Debug, AddressSanitizer + UndefinedBehaviorSanitizer)"
  cmake --preset debug-asan -DFLEETSIM_MPI=ON >/dev/null
  cmake --build --preset debug-asan -j "$jobs"
  echo "==> running the test suite"
  ctest --preset debug-asan -j "$jobs"
fi
