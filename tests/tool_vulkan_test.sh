#!/usr/bin/env bash
# `bufpool scenario instances --backend vulkan`: the same JSON fields as on the host, a
# plateau, warm hit rate >= 0.99, zero validation messages. Skips (77) without a device.
set -u
tool=$1 traces=$2
fails=0
ok() { echo "ok - $1"; }
bad() { fails=$((fails + 1)); echo "FAIL - $1"; }
field() { grep -o "\"$2\":[^,}]*" <<<"$1" | head -1 | cut -d: -f2 | tr -d '"'; }
keys() { grep -o '"[a-z_]*":' <<<"$1" | tr -d '":' | tr '\n' ' '; }

if ! out=$("$tool" scenario instances --backend vulkan --vk-validation --frames 1 --json 2>&1); then
  if grep -q "cannot open a Vulkan device" <<<"$out"; then echo "SKIPPED: $out"; exit 77; fi
fi
host=$("$tool" scenario instances --block-size 0 --json) # the Vulkan default makes no blocks either
json=$("$tool" scenario instances --backend vulkan --vk-validation --json) && ok "vulkan scenario exits 0 with no validation message" || bad "vulkan scenario exit status"
[ "$(keys "$host")" = "$(keys "$json")" ] && ok "same fields as host" || bad "fields differ: $(keys "$json")"
[ "$(field "$json" backend)" = vulkan ] && ok "backend vulkan" || bad "backend field"
[ "$(field "$json" plateau)" = true ] && ok "plateau true" || bad "plateau"
[ "$(field "$json" leaked_buffers)" = 0 ] && ok "no leaks" || bad "leaks"
awk -v h="$(field "$json" warm_hit_rate)" 'BEGIN{exit !(h >= 0.99)}' && ok "warm hit rate >= 0.99" || bad "warm hit rate $(field "$json" warm_hit_rate)"
json=$("$tool" replay "$traces/small.trace" --backend vulkan --vk-validation --json 2>/dev/null) && ok "replay on vulkan" || bad "replay on vulkan"
[ "$(field "$json" peak_requested_bytes)" = 3000 ] && ok "replay peak requested" || bad "replay peak requested"
json=$("$tool" scenario instances --backend vulkan --vk-validation --block-size 4 --frames 100 --json) && ok "vulkan block mode exits 0 with no validation message" || bad "vulkan block mode"
[ "$(field "$json" leaked_buffers)" = 0 ] && ok "vulkan block mode: no leaks" || bad "vulkan block mode leaks"
[ $fails -eq 0 ]
