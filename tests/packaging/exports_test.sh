#!/usr/bin/env bash
# A shared library exports exactly the functions its public headers declare: every dynamic
# symbol it defines is a bp_ name, and every bp_ function declared in the headers is there
# (a public header that forgot BP_BEGIN_DECLS would hide its functions).
# Usage: exports_test.sh C_COMPILER LIBRARY.so HEADER...
set -euo pipefail
cc=$1 lib=$2
shift 2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

nm -D --defined-only "$lib" | awk 'NF == 3 { print $3 }' | sed 's/@.*//' | sort -u >"$tmp/exported"
# Declared: preprocess the headers (comments gone), cut into statements, keep the first
# bp_name( of each statement (not a function pointer's `bp_result (*f)(`) that is not a typedef or a static (inline) definition.
for h in "$@"; do echo "#include \"$h\""; done >"$tmp/all.h"
# Only text that comes from the listed headers counts (a backend header includes bufpool.h).
"$cc" -E -std=c11 "$tmp/all.h" |
  awk -v list="$*" 'BEGIN { n = split(list, h, " "); for (i = 1; i <= n; i++) mine["\"" h[i] "\""] = 1 }
       /^# [0-9]+ "/ { keep = ($3 in mine); next }
       keep' | tr '\n' ' ' | tr ';{}' '\n\n\n' |
  grep -v -E '^[[:space:]]*(typedef|static|extern[[:space:]]+inline)\b' |
  grep -o -E '\bbp_[a-z0-9_]+[[:space:]]*\([[:space:]]*[^*[:space:]]' | sed -E 's/[[:space:]]*\(.*//' |
  sort -u >"$tmp/declared" || true

status=0
echo "$(wc -l <"$tmp/exported") symbols exported by $(basename "$lib"), $(wc -l <"$tmp/declared") functions declared"
if grep -v '^bp_' "$tmp/exported"; then
  echo "FAIL: the symbols above are exported but are not bp_ names"; status=1
fi
if comm -13 "$tmp/exported" "$tmp/declared" | grep .; then
  echo "FAIL: the functions above are declared in public headers but not exported"; status=1
fi
if comm -23 "$tmp/exported" "$tmp/declared" | grep .; then
  echo "FAIL: the symbols above are exported but no public header declares them"; status=1
fi
[ "$(wc -l <"$tmp/declared")" -gt 0 ] || { echo "FAIL: found no declarations"; status=1; }
[ $status -eq 0 ] && echo "ok: exported symbols = declared bp_ functions"
exit $status
