#!/usr/bin/env bash
# Run an example, show its table, and check its exit status and the lines it must print.
# Usage: example_test.sh EXECUTABLE PATTERN...   (each PATTERN an extended regex)
set -u
exe=$1; shift
out=$("$exe" 2>&1); rc=$?
printf '%s\n' "$out"
[ $rc -eq 0 ] || { echo "FAIL: $exe exited $rc"; exit 1; }
for pat in "$@"; do
  grep -Eq -- "$pat" <<<"$out" || { echo "FAIL: no line matches '$pat'"; exit 1; }
done
echo "ok: $(basename "$exe") printed every expected line"
