#!/usr/bin/env bash
# make check-builds: the configurations CI's own build does not cover, with warnings as errors.
#   minimal: gcc, no optional backend (what `make run` builds on a machine with only the build
#            packages), then the main job on it;
#   clang:   clang with every backend found here, tests and examples included.
# Usage: scripts/check-builds.sh [minimal] [clang]     (default: both)
set -euo pipefail
cd "$(dirname "$0")/.."
stages=("$@")
[ ${#stages[@]} -eq 0 ] && stages=(minimal clang)
jobs=${JOBS:-$(nproc)}
bash scripts/install-deps.sh test
for stage in "${stages[@]}"; do
  case $stage in
  minimal)
    echo "== gcc, no optional backend: build, then bufpool scenario instances"
    CC=gcc cmake -S . -B build-minimal -G Ninja -DBP_WITH_VULKAN=OFF -DBP_WITH_OPENCL=OFF -DBP_WITH_CUDA=OFF \
      -DBP_BUILD_TESTS=OFF -DBP_BUILD_EXAMPLES=OFF >/dev/null
    cmake --build build-minimal -j "$jobs"
    build-minimal/bufpool scenario instances >/dev/null
    if build-minimal/bufpool scenario instances --backend vulkan >/dev/null 2>&1; then
      echo "check-builds: a build without Vulkan accepted --backend vulkan" >&2; exit 1
    fi
    ;;
  clang)
    echo "== clang: everything"
    CC=clang cmake -S . -B build-clang -G Ninja >/dev/null
    cmake --build build-clang -j "$jobs"
    ;;
  *) echo "usage: $0 [minimal] [clang]" >&2; exit 2 ;;
  esac
done
echo "check-builds: all configurations built"
