#!/usr/bin/env bash
# make soak: FRAMES frames (default one million) of every workload `bufpool scenario` offers,
# then, per workload, the reserved bytes at 20 points of the run and the plateau verdict.
# Usage: scripts/soak.sh [FRAMES]. Exit status 1 when any workload fails or keeps growing.
set -euo pipefail
cd "$(dirname "$0")/.."
frames=${1:-1000000}
tool=${BUILD:-build}/bufpool
source scripts/workloads.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0
names=$(workloads "$tool") || exit 1
for w in $names; do
  echo "== $w: $frames frames"
  start=$(date +%s)
  if ! "$tool" scenario "$w" --frames "$frames" --csv "$tmp/$w.csv" --json >"$tmp/$w.json"; then
    echo "$w: the run failed"; status=1; continue
  fi
  # the CSV holds at most a few thousand rows (each the peak of frames_per_row frames)
  awk -F, 'NR > 1 { row[++n] = $0 } END {
      for (i = 1; i <= 20; i++) { split(row[int(i * n / 20)], c, ",");
        printf "  frame %9d  reserved %10.3f MB  in use %10.3f MB\n", c[1], c[3] / 1048576, c[4] / 1048576 } }' "$tmp/$w.csv"
  verdict=$(grep -o '"verdict":"[a-z_]*"' "$tmp/$w.json" | cut -d'"' -f4)
  plateau=$(grep -o '"plateau":[a-z]*' "$tmp/$w.json" | cut -d: -f2)
  peak=$(grep -o '"peak_reserved_bytes":[0-9]*' "$tmp/$w.json" | cut -d: -f2)
  leaked=$(grep -o '"leaked_buffers":[0-9]*' "$tmp/$w.json" | cut -d: -f2)
  printf "  %s: verdict %s (plateau %s), peak reserved %.3f MB, leaked buffers %s, %ss\n" "$w" "$verdict" \
    "$plateau" "$(awk -v b="$peak" 'BEGIN { print b / 1048576 }')" "$leaked" "$(($(date +%s) - start))"
  [ "$plateau" = true ] && [ "$leaked" = 0 ] || status=1
done
exit $status
