#!/usr/bin/env bash
# The checks that need a GPU, as one script for a machine that has one (a session's device
# machine: no network, so nothing is installed; it builds with what is there). It builds the
# library with the backends the machine's toolkits allow, then runs
#   - the CUDA test (tests/test_cuda.c) and the Vulkan backend tests, where cmocka is installed;
#   - the benchmark's CUDA and Vulkan sections on the GPU (bufpool_bench device-section ...);
#   - bufpool scenario instances on the Vulkan backend;
# and writes every output under $OUT (default: gpu-check/), with a summary in summary.txt.
# Without a GPU each step says so (SKIPPED / Not run) and the script still exits 0; it exits 1
# only when a step that had its device failed.
# Usage: scripts/gpu-check.sh [repeats]   (default 15; about 2-4 minutes on an H100/H200)
set -uo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-gpu-check}
reps=${1:-15}
mkdir -p "$out"
summary="$out/summary.txt"
: >"$summary"
note() { echo "$*" | tee -a "$summary"; }
failed=0

note "gpu-check: $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
if command -v nvidia-smi >/dev/null; then
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader >"$out/gpu.txt" 2>&1
  note "GPU: $(head -1 "$out/gpu.txt")"
else
  note "GPU: nvidia-smi not found"
fi
export PATH="$PATH:/usr/local/cuda/bin"

tests=OFF
pkg-config --exists cmocka 2>/dev/null && tests=ON
gen=()
command -v ninja >/dev/null && gen=(-G Ninja)
build=build-gpu
if ! cmake -S . -B "$build" "${gen[@]}" -DCMAKE_BUILD_TYPE=Release -DBP_BUILD_TESTS=$tests \
  -DBP_BUILD_EXAMPLES=OFF >"$out/configure.txt" 2>&1; then
  note "configure failed (see configure.txt)"
  exit 1
fi
grep -E "backend|CUDA|Vulkan|OpenCL" "$out/configure.txt" | head -8 >>"$summary"
targets=(bufpool_tool bufpool_bench)
[ "$tests" = ON ] && targets+=(test_cuda test_vulkan_backend test_vulkan_blocks)
for t in "${targets[@]}"; do
  cmake --build "$build" -j "$(nproc)" --target "$t" >>"$out/build.txt" 2>&1 || note "build of $t failed or absent (build.txt)"
done

# A step: its output in $out/NAME.txt (and the file $report names, if any); "SKIPPED" or
# "Not run" in them means no device, and a device section on a CPU implementation (lavapipe)
# says "no GPU in this run".
report=
step() {
  local name=$1
  shift
  if [ ! -x "$1" ]; then
    note "$name: not built"
    return
  fi
  timeout 300 "$@" >"$out/$name.txt" 2>&1
  local rc=$? files=("$out/$name.txt")
  [ -n "$report" ] && [ -f "$report" ] && files+=("$report")
  if grep -q -h -E "SKIPPED|Not run" "${files[@]}"; then
    note "$name: no device ($(grep -m1 -h -E 'SKIPPED|Not run' "${files[@]}" | cut -c1-120))"
  elif grep -q -h "no GPU in this run" "${files[@]}"; then
    note "$name: ran on a CPU implementation, not a GPU"
  elif [ $rc -eq 0 ]; then
    note "$name: ok"
  else
    note "$name: FAILED (rc $rc, $name.txt)"
    failed=1
  fi
}

step test_cuda "$build/tests/test_cuda"
step test_vulkan_backend "$build/tests/test_vulkan_backend"
step test_vulkan_blocks "$build/tests/test_vulkan_blocks"
for s in cuda vulkan; do
  report="$out/bench_$s.md"
  step "bench_$s" "$build/bench/bufpool_bench" device-section "$s" "$report" "$reps" full
  [ -f "$report" ] && grep -E "^Device|^Not run|^\| [0-9]+ B" "$report" | cut -c1-160 | head -8 >>"$summary"
done
report=
if [ -x "$build/bufpool" ]; then
  step scenario_vulkan "$build/bufpool" scenario instances --backend vulkan --json
fi
note "gpu-check: done ($([ $failed = 0 ] && echo "no step failed" || echo "a step failed"))"
exit $failed
