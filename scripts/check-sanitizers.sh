#!/usr/bin/env bash
# make check-sanitizers: the test suite under ASan+UBSan and under TSan, and every test
# program under Valgrind memcheck with zero errors and zero leaks.
# Usage: scripts/check-sanitizers.sh [asan] [tsan] [valgrind]     (default: all three)
# Not run under sanitizers: install_consumers (links uninstrumented out-of-tree programs
# against the library). The Vulkan and OpenCL drivers (lavapipe, PoCL, both on LLVM) leak at
# exit, outside bufpool, so Vulkan programs run under ASan with leak detection off, and GPU
# backend programs not under Valgrind; bufpool's own leaks there are caught by its
# allocation counters and by the host-backend runs.
set -euo pipefail
cd "$(dirname "$0")/.."
stages=("$@")
[ ${#stages[@]} -eq 0 ] && stages=(asan tsan valgrind)
jobs=${JOBS:-$(nproc)}
bash scripts/install-deps.sh test
bash scripts/install-deps.sh sanitize
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
vulkan='vulkan|vk_'

configure() { # dir, sanitizer
  cmake -S . -B "$1" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo ${2:+-DBP_SANITIZE=$2} >/dev/null
  cmake --build "$1" -j "$jobs"
}

for stage in "${stages[@]}"; do
  case $stage in
  asan)
    echo "== ASan + UBSan: the test suite"
    configure build-asan address,undefined
    (cd build-asan && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j "$jobs" -E "install_consumers|$vulkan")
    (cd build-asan && ASAN_OPTIONS=detect_leaks=0 ctest --output-on-failure -j "$jobs" -R "$vulkan")
    ;;
  tsan)
    echo "== TSan: the test suite, the thread stress test included"
    configure build-tsan thread
    (cd build-tsan && TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/../scripts/tsan.supp ctest --output-on-failure -j "$jobs" -E install_consumers)
    ;;
  valgrind)
    echo "== Valgrind memcheck: every test program, the fuzz corpus, the tool's workloads"
    configure build ""
    vg=(valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect
        --show-leak-kinds=definite,indirect --track-origins=no)
    fails=0 runs=0
    run() {
      runs=$((runs + 1))
      local rc=0
      "${vg[@]}" "$@" >/tmp/bp-vg.$$ 2>&1 || rc=$?
      case $rc in
        0) echo "ok   $*" ;;
        77) echo "skip $* (no device)" ;;
        *) fails=$((fails + 1)); echo "FAIL $* (exit $rc)"; tail -30 /tmp/bp-vg.$$ ;;
      esac
    }
    for t in build/tests/test_*; do
      [[ -x $t && ! $t =~ $vulkan|opencl|cuda ]] || continue
      run "$t"
    done
    run build/tests/fuzz_smoke -n 100 tests/fuzz/corpus
    source scripts/workloads.sh
    names=$(workloads build/bufpool) || exit 1
    for w in $names; do run build/bufpool scenario "$w" --frames 300; done
    for e in build/examples/*; do
      [[ -x $e && -f $e && ! $e =~ $vulkan|watch_memory ]] && run "$e"
    done
    rm -f /tmp/bp-vg.$$
    echo "valgrind: $runs programs, $fails with errors"
    [ $fails -eq 0 ]
    ;;
  *) echo "unknown stage '$stage' (asan, tsan, valgrind)" >&2; exit 2 ;;
  esac
done
echo "check-sanitizers: all clean"
