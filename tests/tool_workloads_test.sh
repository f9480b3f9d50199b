#!/usr/bin/env bash
# `bufpool scenario` mesh, vegetation and fixed: the instances JSON fields plus evictions and
# budget_failures, and what each workload must show (budget held, nothing created in fixed).
set -u
tool=$1
fails=0 passes=0
ok() { passes=$((passes + 1)); echo "ok - $1"; }
bad() { fails=$((fails + 1)); echo "FAIL - $1"; }
field() { grep -o "\"$2\":[^,}]*" <<<"$1" | head -1 | cut -d: -f2 | tr -d '"'; }
check() { if eval "$2"; then ok "$1"; else bad "$1 ($2)"; fi; }

for w in mesh vegetation fixed; do
  json=$("$tool" scenario $w --json) || bad "scenario $w exits 0"
  for f in frames acquires hits hit_rate warm_hit_rate peak_reserved_bytes final_reserved_bytes backend_creates \
           leaked_buffers plateau evictions budget_failures capacity_failures; do
    [ -n "$(field "$json" $f)" ] && ok "$w: field $f present" || bad "$w: field $f missing"
  done
  check "$w: workload named" '[ "$(field "$json" workload)" = $w ]'
  check "$w: no leaked buffers" '[ "$(field "$json" leaked_buffers)" = 0 ]'
  check "$w: plateau" '[ "$(field "$json" plateau)" = true ]'
  eval "json_$w=\$json"
done

check "mesh: 1000 iterations by default" '[ "$(field "$json_mesh" frames)" = 1000 ]'
check "mesh: warm hit rate >= 0.99" 'awk -v h="$(field "$json_mesh" warm_hit_rate)" "BEGIN{exit !(h >= 0.99)}"'
check "mesh: fewer than 100 buffers created" '[ "$(field "$json_mesh" backend_creates)" -lt 100 ]'

check "vegetation: demand exceeded the budget (evictions ran)" '[ "$(field "$json_vegetation" evictions)" -gt 0 ]'
check "vegetation: budget failures reported" '[ "$(field "$json_vegetation" budget_failures)" -gt 0 ]'
check "vegetation: peak reserved <= 512 MiB" '[ "$(field "$json_vegetation" peak_reserved_bytes)" -le 536870912 ]'

check "fixed: 10000 frames by default" '[ "$(field "$json_fixed" frames)" = 10000 ]'
check "fixed: every acquire a hit" '[ "$(field "$json_fixed" misses)" = 0 ]'
check "fixed: the table's 60 buffers and nothing more" '[ "$(field "$json_fixed" backend_creates)" = 60 ]'
check "fixed: nothing destroyed or refused" '[ "$(field "$json_fixed" backend_destroys)" = 0 ] && [ "$(field "$json_fixed" capacity_failures)" = 0 ]'
json=$("$tool" scenario fixed --frames 200 --frames-in-flight 0 --json)
check "fixed: immediate reuse sizes the table to 32 buffers" '[ "$(field "$json" backend_creates)" = 32 ] && [ "$(field "$json" capacity_failures)" = 0 ]'
human=$("$tool" scenario vegetation --frames 300)
check "vegetation summary prints evictions" 'grep -q "evictions [1-9]" <<<"$human"'

# scripts/workloads.sh reads the names from the tool's answer to an unknown workload, for the
# soak and the Valgrind stage; when the answer's wording changed they ran no workload at all.
source "$(dirname "$0")/../scripts/workloads.sh"
names=$(workloads "$tool" | tr '\n' ' ')
check "scripts/workloads.sh lists the four workloads" '[ "$names" = "instances mesh vegetation fixed " ]'

echo "$passes passed, $fails failed"
[ $fails -eq 0 ]
