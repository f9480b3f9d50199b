#!/usr/bin/env bash
# A real program's trace: run an example with BUFPOOL_TRACE set, then replay what it recorded.
set -u
tool=$1 program=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
BUFPOOL_TRACE="$tmp/run.trace" "$program" >/dev/null || { echo "FAIL - $program failed"; exit 1; }
[ -s "$tmp/run.trace" ] || { echo "FAIL - no trace recorded"; exit 1; }
events=$(grep -c '^[ARF]' "$tmp/run.trace")
json=$("$tool" replay "$tmp/run.trace" --json) || { echo "FAIL - replay exited $?"; exit 1; }
field() { grep -o "\"$1\":[^,}]*" <<<"$json" | head -1 | cut -d: -f2; }
acq=$(field acquires) rel=$(field releases) ops=$(field ops)
echo "trace of $(basename "$program"): $events events; replay: $acq acquires, $rel releases, $ops ops"
fails=0
[ "$ops" = "$events" ] || { echo "FAIL - replayed $ops of $events events"; fails=1; }
[ "$acq" -gt 0 ] && [ "$acq" = "$(grep -c '^A' "$tmp/run.trace")" ] || { echo "FAIL - acquire count"; fails=1; }
[ $fails -eq 0 ] && echo "1 passed, 0 failed" || echo "0 passed, 1 failed"
exit $fails
