#!/usr/bin/env bash
# Every public function of the given headers has a Doxygen comment right above it that
# states its ownership, thread-safety and cost, and (unless it returns void) its results:
#   @ownership ...   @threadsafety ...   @cost ...   @return ...
# (the prose forms "Ownership:", "Thread-safety:", "Cost:" count too). Prints each gap as
# FILE:LINE: NAME: missing ...; exits 1 when there is one.
# Usage: check_api_docs.sh HEADER...
set -euo pipefail
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0
awk -v seen="$tmp/seen" '
  function report(   missing) {
    missing = ""
    if (doc == "") missing = " a Doxygen comment (/** ... */ right above it)"
    else {
      if (doc !~ /@ownership|Ownership:/) missing = missing " ownership (@ownership),"
      if (doc !~ /@threadsafety|Thread-safety:|Thread safety:/) missing = missing " thread-safety (@threadsafety),"
      if (doc !~ /@cost|Cost:/) missing = missing " cost (@cost),"
      if (!void && doc !~ /[@\\]returns?[ \t]/) missing = missing " results (@return),"
      sub(/,$/, "", missing)
    }
    if (missing != "") { printf "%s:%d: %s: missing%s\n", FILENAME, FNR, name, missing; gaps++ }
    functions++
    print name > seen
  }
  FNR == 1 { doc = ""; incomment = 0; pending = 0 }
  incomment { text = text "\n" $0; if ($0 ~ /\*\//) { incomment = 0; doc = text; gap = 0 } next }
  /^[ \t]*\/\*\*[^<]/ || /^[ \t]*\/\*\*$/ {
    text = $0; if ($0 ~ /\*\//) { doc = text; gap = 0 } else incomment = 1; next
  }
  /^[ \t]*$/ { next }
  # A function declaration (or inline definition) of a bp_ name at file scope.
  /^(static inline )?[A-Za-z_][A-Za-z0-9_ ]*[ *]bp_[a-z0-9_]+\(/ && $0 !~ /^(typedef|#)/ {
    name = $0; sub(/\(.*/, "", name); sub(/.*[ *]/, "", name)
    void = ($0 ~ /^(static inline )?void[ \t]/)
    report(); doc = ""; next
  }
  { doc = "" }
  END {
    if (gaps) printf "%d of %d public functions lack documentation: each states @ownership, @threadsafety, @cost and (unless void) @return in its comment\n", gaps, functions
    else printf "ok: %d public functions document ownership, thread-safety, cost and results\n", functions
    exit gaps > 0
  }
' "$@" || status=1

# Every function the compiler sees must have been found above (a declaration split over lines
# the scan does not recognise would otherwise go unchecked).
for h in "$@"; do echo "#include \"$(realpath "$h")\""; done >"$tmp/all.h"
${CC:-cc} -E -P -std=c11 "$tmp/all.h" 2>/dev/null | tr '\n' ' ' | tr ';{}' '\n\n\n' | grep -v -E '^[[:space:]]*typedef\b' |
  grep -o -E '\bbp_[a-z0-9_]+[[:space:]]*\([[:space:]]*[^*[:space:]]' | sed -E 's/[[:space:]]*\(.*//' |
  sort -u >"$tmp/declared" || true
if comm -23 "$tmp/declared" <(sort -u "$tmp/seen") | grep .; then
  echo "the functions above are declared in a form this check does not read: write the return type"
  echo "and the name on the declaration's first line, at the start of the line"
  status=1
fi
exit $status
