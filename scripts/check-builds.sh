#!/usr/bin/env bash
# make check-builds: the configurations CI's own build does not cover, with warnings as errors.
#   minimal: gcc, no optional backend (what `make run` builds on a machine with only the build
#            packages), then the main job on it;
#   clang:   clang with every backend found here, tests and examples included.
# Both also build the benchmark suite and run it in quick mode (a few seconds, timings not
# kept): every section must be written, a device section saying "Not run" where the build or
# the machine has no such device.
# Usage: scripts/check-builds.sh [minimal] [clang]     (default: both)
set -euo pipefail
cd "$(dirname "$0")/.."
stages=("$@")
[ ${#stages[@]} -eq 0 ] && stages=(minimal clang)
jobs=${JOBS:-$(nproc)}
bash scripts/install-deps.sh test
bash scripts/install-deps.sh bench

# The suite's quick run in build dir $1: each section's heading must be there.
bench_quick() {
  cmake --build "$1" -j "$jobs" --target bufpool_bench bufpool_bench_shared
  local out="$1/bench-quick.md"
  "$1/bench/bufpool_bench" --quick --out "$out" 2>/dev/null
  for h in "Pool hit" Workloads Threads Sub-allocation Vulkan OpenCL CUDA Targets; do
    grep -q "^## $h" "$out" || { echo "check-builds: the quick bench run in $1 wrote no '$h' section" >&2; exit 1; }
  done
  # the kernel's count of each contender's memory (the memory round's resident set) was read
  grep -q "^Peak resident with every page written: bufpool" "$out" ||
    { echo "check-builds: the quick bench run in $1 measured no peak resident memory" >&2; exit 1; }
  # pass by pass: every contender replays each pass, none failed, the medians printed
  local passes="$1/bench-passes.md"
  "$1/bench/bufpool_bench" passes mesh --quick --repeats 3 --write-pages >"$passes" 2>/dev/null
  if ! grep -q "^| 3 | [0-9]" "$passes" || ! grep -q "^| passes 2-3 | [0-9]" "$passes" || grep -q "failed\| - |" "$passes"; then
    echo "check-builds: bufpool_bench passes in $1 did not replay every pass" >&2; exit 1
  fi
}
for stage in "${stages[@]}"; do
  case $stage in
  minimal)
    echo "== gcc, no optional backend: build, then bufpool scenario instances"
    CC=gcc cmake -S . -B build-minimal -G Ninja -DBP_WITH_VULKAN=OFF -DBP_WITH_OPENCL=OFF -DBP_WITH_CUDA=OFF \
      -DBP_BUILD_TESTS=OFF -DBP_BUILD_EXAMPLES=OFF >/dev/null
    cmake --build build-minimal -j "$jobs"
    build-minimal/bufpool scenario instances >/dev/null
    bench_quick build-minimal
    if build-minimal/bufpool scenario instances --backend vulkan >/dev/null 2>&1; then
      echo "check-builds: a build without Vulkan accepted --backend vulkan" >&2; exit 1
    fi
    ;;
  clang)
    echo "== clang: everything"
    CC=clang cmake -S . -B build-clang -G Ninja >/dev/null
    cmake --build build-clang -j "$jobs"
    bench_quick build-clang
    ;;
  *) echo "usage: $0 [minimal] [clang]" >&2; exit 2 ;;
  esac
done
echo "check-builds: all configurations built"
