#!/usr/bin/env bash
# Run the benchmark suite and write bench/RESULTS.md (what `make bench` does).
# Usage: bench/run.sh [BUILD_DIR]   (TRACE=file replays that trace instead of the default ones;
#        OUT=file writes elsewhere; QUICK=1 runs a short smoke version)
set -euo pipefail
build=${1:-build}
bin=$build/bench/bufpool_bench
out=${OUT:-bench/RESULTS.md}
# Traces replayed: TRACE if given; else a generated renderer-like mix, plus the traces of real
# programs, the examples recorded with BUFPOOL_TRACE (when they are built).
traces=()
if [ -n "${TRACE:-}" ]; then
  traces+=(--trace "$TRACE")
else
  "$bin" write-trace "$build/bench/mixed.trace"
  traces+=(--trace "$build/bench/mixed.trace")
  for example in mesh_fitting vegetation_budget fixed_capacity; do
    [ -x "$build/examples/$example" ] || continue
    BUFPOOL_TRACE="$build/bench/$example.trace" "$build/examples/$example" >/dev/null 2>&1 || continue
    [ -s "$build/bench/$example.trace" ] && traces+=(--trace "$build/bench/$example.trace")
  done
fi
# Instructions per pool hit: callgrind counts only the hit loop (bench_pool_hits); the figure
# is bp_acquire + bp_release, inclusive of everything they call, divided by the pairs: all the
# loop's instructions less the loop's own. (Summing the bp_acquire and bp_release entries of
# `callgrind_annotate --inclusive` undercounts once they tail-call or inline across files.)
pairs=200000
count_ir() { # instructions per pair; $1 = "", thread-safe or size; $2 = the command (default: bufpool_bench callgrind-hit)
  if ! command -v valgrind >/dev/null || ! command -v callgrind_annotate >/dev/null; then echo -1; return; fi
  local cg=$build/bench/callgrind.out cmd=(${2:-$bin callgrind-hit})
  [ -x "${cmd[0]}" ] || { echo -1; return; }
  valgrind --tool=callgrind --callgrind-out-file="$cg" --toggle-collect=bench_pool_hits \
    --toggle-collect=bench_pool_size_hits \
    "${cmd[@]}" 4096 $pairs ${1:-} >/dev/null 2>&1 || { echo -1; return; }
  callgrind_annotate "$cg" 2>/dev/null | awk -v n=$pairs '
    /PROGRAM TOTALS/ { gsub(",", "", $1); total = $1 }
    /:bench_pool_(size_)?hits \[/ { gsub(",", "", $1); loop += $1 }
    END { printf "%.1f", (total - loop) / n }'
}
# Instructions per frame boundary (bp_frame_next: bench_pool_frame), bufpool alone
# replaying the mesh loop 3 times (bench/frames.c); $1 = "" or fif2 (2 frames in flight).
count_frame_ir() {
  if ! command -v valgrind >/dev/null || ! command -v callgrind_annotate >/dev/null; then echo -1; return; fi
  local cg=$build/bench/callgrind-frames.out rounds=3 frames
  frames=$(valgrind --tool=callgrind --callgrind-out-file="$cg" --toggle-collect=bench_pool_frame \
    "$bin" callgrind-frames mesh $rounds ${1:-} 2>/dev/null | sed -nE 's/^mesh: ([0-9]+) frames .*/\1/p')
  callgrind_annotate "$cg" 2>/dev/null | awk -v n=$((frames * rounds)) '
    /PROGRAM TOTALS/ { gsub(",", "", $1); printf "%.1f", $1 / n }'
}
# Instructions per buffer by kind of request (bench/kinds.c): the counted loop inclusive,
# divided by its buffers (16 a frame).
count_kinds() {
  if ! command -v valgrind >/dev/null || ! command -v callgrind_annotate >/dev/null; then return; fi
  local cg=$build/bench/callgrind-kinds.out frames=2000 kind n
  for kind in plain size transient owner scoped thread-safe; do
    valgrind --tool=callgrind --callgrind-out-file="$cg" --toggle-collect=bench_kind_loop \
      "$bin" callgrind-kinds $kind $frames >/dev/null 2>&1 || continue
    n=$(callgrind_annotate "$cg" 2>/dev/null | awk -v n=$((frames * 16)) '
      /PROGRAM TOTALS/ { gsub(",", "", $1); printf "%.1f", $1 / n }')
    printf '%s=%s ' "$kind" "$n"
  done
}
ir=$(count_ir)
ir_ts=$(count_ir thread-safe)
ir_size=$(count_ir size)
# The same loop linked with libbufpool.so (bufpool_bench_shared): what a shared-library user pays.
ir_so=$(count_ir "" "$build/bench/bufpool_bench_shared")
ir_so_ts=$(count_ir thread-safe "$build/bench/bufpool_bench_shared")
frame_ir=$(count_frame_ir)
frame_ir_fif2=$(count_frame_ir fif2)
kinds=$(count_kinds)
extra=()
[ -n "${QUICK:-}" ] && extra+=(--quick)
cmd="make bench${TRACE:+ TRACE=$TRACE}"
"$bin" --out "$out" "${traces[@]}" --callgrind-ir "$ir" --callgrind-ir-thread-safe "$ir_ts" \
  --callgrind-ir-size "$ir_size" --callgrind-ir-shared "$ir_so" --callgrind-ir-shared-thread-safe "$ir_so_ts" \
  --callgrind-frame-ir "$frame_ir" --callgrind-frame-ir-fif2 "$frame_ir_fif2" --callgrind-kinds "$kinds" --command "$cmd" \
  --commit "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)" "${extra[@]}"
