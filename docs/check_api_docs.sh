#!/usr/bin/env bash
# Every public function of the given headers has a Doxygen comment right above it that
# states its ownership, thread-safety and cost, and (unless it returns void) its results:
#   @ownership ...   @threadsafety ...   @cost ...   @return ...
# (the prose forms "Ownership:", "Thread-safety:", "Cost:" count too). Prints each gap as
# FILE:LINE: NAME: missing ...; exits 1 when there is one.
# Usage: check_api_docs.sh HEADER...
set -euo pipefail
awk '
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
' "$@"
