#!/usr/bin/env bash
# The bufpool tool: the main scenario's JSON fields and verdicts, trace replay, and errors.
set -u
tool=$1 traces=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fails=0 passes=0
ok() { passes=$((passes + 1)); echo "ok - $1"; }
bad() { fails=$((fails + 1)); echo "FAIL - $1"; }
field() { grep -o "\"$2\":[^,}]*" <<<"$1" | head -1 | cut -d: -f2 | tr -d '"'; }
check() { if eval "$2"; then ok "$1"; else bad "$1 ($2)"; fi; }

json=$("$tool" scenario instances --json) || bad "scenario instances exits 0"
for f in frames acquires hits hit_rate warm_hit_rate peak_reserved_bytes final_reserved_bytes backend_creates leaked_buffers plateau; do
  [ -n "$(field "$json" $f)" ] && ok "field $f present" || bad "field $f missing"
done
check "500 frames by default" '[ "$(field "$json" frames)" = 500 ]'
check "plateau true" '[ "$(field "$json" plateau)" = true ]'
check "no leaked buffers" '[ "$(field "$json" leaked_buffers)" = 0 ]'
check "peak reserved < 50 MiB" '[ "$(field "$json" peak_reserved_bytes)" -lt 52428800 ]'
check "warm hit rate >= 0.99" 'awk -v h="$(field "$json" warm_hit_rate)" "BEGIN{exit !(h >= 0.99)}"'
human=$("$tool" scenario instances --frames 50)
check "human summary mentions hit rate" 'grep -q "hit rate" <<<"$human"'

# pow2 classes and immediate reuse are accepted
"$tool" scenario instances --frames 20 --classes pow2 --frames-in-flight 0 --json >/dev/null && ok "pow2 + fif 0" || bad "pow2 + fif 0"

# the host backend's block mode (the default: 8 MiB blocks) against one allocation per buffer
# (--block-size 0): the same pool decisions (acquires, hits, creates), buffers from blocks
plain=$("$tool" scenario instances --frames 60 --block-size 0 --json)
blocks=$("$tool" scenario instances --frames 60 --json)
big=$("$tool" scenario instances --frames 60 --block-size 16 --json)
check "block mode: same acquires" '[ "$(field "$plain" acquires)" = "$(field "$blocks" acquires)" ]'
check "block mode: same hits" '[ "$(field "$plain" hits)" = "$(field "$blocks" hits)" ]'
check "block mode: same creates" '[ "$(field "$plain" backend_creates)" = "$(field "$blocks" backend_creates)" ]'
check "block mode: no leaks" '[ "$(field "$blocks" leaked_buffers)" = 0 ]'
check "block mode by default: says its block size" '[ "$(field "$blocks" block_size_bytes)" = 8388608 ]'
check "--block-size 16: says its block size" '[ "$(field "$big" block_size_bytes)" = 16777216 ]'
# the backend holds whole blocks: never less than the buffers placed in them
check "block mode: the backend's held bytes" \
  '[ "$(field "$blocks" backend_peak_held_bytes)" -ge "$(field "$blocks" peak_reserved_bytes)" ]'
check "--block-size 0: no block fields" '[ -z "$(field "$plain" block_size_bytes)" ] && [ -z "$(field "$plain" backend_peak_held_bytes)" ]'

# retention caps follow demand by default: a loop holding 12 buffers of one size (cap 8) misses
# only in its first two frames; with --fixed-class-caps it misses 4 a frame (the frame end
# destroys what the next frame asks for again); the JSON and the run file say the flag was on.
# --retain-demand (the old opt-in) is accepted and undoes --fixed-class-caps.
{ echo "# 12 buffers of 4096 B a frame, 10 frames"
  for f in $(seq 0 9); do
    for i in $(seq 1 12); do echo "A $((f * 100 + i)) 4096"; done
    for i in $(seq 1 12); do echo "R $((f * 100 + i))"; done
    echo F
  done; } >"$tmp/twelve.trace"
demand=$("$tool" replay "$tmp/twelve.trace" --frames-in-flight 0 --json)
capped=$("$tool" replay "$tmp/twelve.trace" --frames-in-flight 0 --fixed-class-caps --json --run "$tmp/capped.json")
again=$("$tool" replay "$tmp/twelve.trace" --frames-in-flight 0 --fixed-class-caps --retain-demand --json)
check "default (caps follow demand): 12 + 4 misses, then none" '[ "$(field "$demand" misses)" = 16 ]'
check "--fixed-class-caps: 12 + 9 x 4 misses" '[ "$(field "$capped" misses)" = 48 ]'
check "--retain-demand after --fixed-class-caps: the default again" '[ "$(field "$again" misses)" = 16 ]'
check "--fixed-class-caps: the JSON says so" \
  '[ "$(field "$capped" fixed_class_caps)" = true ] && [ -z "$(field "$demand" fixed_class_caps)" ]'
check "--fixed-class-caps: the run file says so" 'grep -q "\"fixed_class_caps\":true" "$tmp/capped.json"'

# --exact-classes: a 3000 B request after three idle frames takes the pooled 3300 B buffer of
# the next class by default (1 miss), and creates its own with the flag (2 misses)
printf 'A 1 3300\nR 1\nF\nF\nF\nA 2 3000\nR 2\nF\n' >"$tmp/borrow.trace"
borrow=$("$tool" replay "$tmp/borrow.trace" --frames-in-flight 0 --json)
exact=$("$tool" replay "$tmp/borrow.trace" --frames-in-flight 0 --exact-classes --json --run "$tmp/exact.json")
check "next class borrowed by default: 1 miss" '[ "$(field "$borrow" misses)" = 1 ]'
check "--exact-classes: 2 misses" '[ "$(field "$exact" misses)" = 2 ]'
check "--exact-classes: the JSON and the run file say so" \
  '[ "$(field "$exact" exact_classes)" = true ] && [ -z "$(field "$borrow" exact_classes)" ] && grep -q "\"exact_classes\":true" "$tmp/exact.json"'

# --pooled-headroom: ten frames of four buffers, each frame a size of its own (1-10 MiB): with 50
# the pool keeps at most 50% (or 4 MiB) over the peak in use; by default (off) it keeps them all
for k in 1 2 3 4 5 6 7 8 9 10; do
  for i in 1 2 3 4; do echo "A $((k * 10 + i)) $((k * 1048576))"; done
  for i in 1 2 3 4; do echo "R $((k * 10 + i))"; done
  echo F
done >"$tmp/shift.trace"
bounded=$("$tool" replay "$tmp/shift.trace" --frames-in-flight 0 --pooled-headroom 50 --json --run "$tmp/bounded.json")
kept=$("$tool" replay "$tmp/shift.trace" --frames-in-flight 0 --json)
off=$("$tool" replay "$tmp/shift.trace" --frames-in-flight 0 --pooled-headroom off --json)
check "pooled headroom: trims, and peak reserved within 1.5 x the peak in use" \
  '[ "$(field "$bounded" trims)" -gt 0 ] && [ "$(field "$bounded" peak_reserved_bytes)" -le $(( $(field "$bounded" peak_in_use_bytes) * 3 / 2 )) ]'
check "no pooled headroom by default (or off): nothing trimmed, every size kept" \
  '[ "$(field "$kept" trims)" = 0 ] && [ "$(field "$kept" peak_reserved_bytes)" -gt $(( $(field "$kept" peak_in_use_bytes) * 4 )) ] && [ "$(field "$off" trims)" = 0 ]'
check "--pooled-headroom: the JSON and the run file say so" \
  '[ "$(field "$bounded" pooled_headroom)" = 50 ] && [ -z "$(field "$kept" pooled_headroom)" ] && grep -q "\"pooled_headroom\":50" "$tmp/bounded.json"'
"$tool" replay "$tmp/shift.trace" --pooled-headroom 0 >/dev/null 2>&1
check "--pooled-headroom 0 is a usage error" '[ $? -eq 2 ]'

# --hold-at-peak: six 1 MiB buffers, every other one released and, 330 frames later, trimmed as
# idle (three 1 MiB holes), then a 2.5 MiB one that fits no hole: by default the blocks hold
# 8.5 MiB at their peak; with the flag the holes go back to the kernel first and it stays at 6 MiB
{ for i in 1 2 3 4 5 6; do echo "A $i 1048576"; done; echo "R 1"; echo "R 3"; echo "R 5"
  for f in $(seq 330); do echo F; done; echo "A 7 2621440"; } >"$tmp/holes.trace"
grown=$("$tool" replay "$tmp/holes.trace" --frames-in-flight 0 --json)
held=$("$tool" replay "$tmp/holes.trace" --frames-in-flight 0 --hold-at-peak --json --run "$tmp/held.json")
check "held peak by default: 8.5 MiB" '[ "$(field "$grown" backend_peak_held_bytes)" = 8912896 ]'
check "--hold-at-peak: held peak 6 MiB" '[ "$(field "$held" backend_peak_held_bytes)" = 6291456 ]'
"$tool" replay "$tmp/holes.trace" --hold-at-peak --block-size 0 >/dev/null 2>&1
check "--hold-at-peak without host blocks is a usage error" '[ $? -eq 2 ]'
check "--hold-at-peak: the JSON and the run file say so" \
  '[ "$(field "$held" hold_at_peak)" = true ] && [ -z "$(field "$grown" hold_at_peak)" ] && grep -q "\"hold_at_peak\":true" "$tmp/held.json"'
# --populate: the same run, its pages given memory when placed: the counts are the default's
populated=$("$tool" replay "$tmp/holes.trace" --frames-in-flight 0 --populate --json --run "$tmp/populated.json")
check "--populate: held peak and hits as by default" \
  '[ "$(field "$populated" backend_peak_held_bytes)" = 8912896 ] && [ "$(field "$populated" hits)" = "$(field "$grown" hits)" ]'
check "--populate: the JSON and the run file say so" \
  '[ "$(field "$populated" populate)" = true ] && [ -z "$(field "$grown" populate)" ] && grep -q "\"populate\":true" "$tmp/populated.json"'
"$tool" replay "$tmp/holes.trace" --populate --block-size 0 >/dev/null 2>&1
check "--populate without host blocks is a usage error" '[ $? -eq 2 ]'

# replay: a small trace with frames, and a leak at the end that is reported, not an error
json=$("$tool" replay "$traces/small.trace" --json 2>"$tmp/err")
check "replay exits 0" '[ $? -eq 0 ]'
check "replay reports peak_requested_bytes" '[ "$(field "$json" peak_requested_bytes)" = 3000 ]'
check "replay reports ns_per_op" '[ -n "$(field "$json" ns_per_op)" ]'
check "replay counts the live buffer at the end" '[ "$(field "$json" leaked_buffers)" = 1 ]'

# malformed traces: exit 2 and the line number
printf 'A 1 100\nR 1\nX oops\n' >"$tmp/bad1.trace"
"$tool" replay "$tmp/bad1.trace" 2>"$tmp/err" >/dev/null; rc=$?
check "malformed line exits 2" '[ $rc -eq 2 ]'
check "malformed line names line 3" 'grep -q ":3:" "$tmp/err"'
printf 'A 1 100\nA 1 200\n' >"$tmp/bad2.trace"
"$tool" replay "$tmp/bad2.trace" 2>"$tmp/err" >/dev/null; rc=$?
check "acquire of a live id exits 2 at line 2" '[ $rc -eq 2 ] && grep -q ":2:" "$tmp/err"'
printf '# c\n\nR 7\n' >"$tmp/bad3.trace"
"$tool" replay "$tmp/bad3.trace" 2>"$tmp/err" >/dev/null; rc=$?
check "release of an unknown id exits 2 at line 3" '[ $rc -eq 2 ] && grep -q ":3:" "$tmp/err"'
printf 'A 1 0\n' >"$tmp/bad4.trace"
"$tool" replay "$tmp/bad4.trace" 2>/dev/null >/dev/null; rc=$?
check "size 0 exits 2" '[ $rc -eq 2 ]'

# hostile traces: unreadable input, NUL bytes, a lone CR, long lines
"$tool" replay "$tmp" 2>"$tmp/err" >/dev/null; rc=$?
check "a directory as the trace exits 2 (not an empty trace)" '[ $rc -eq 2 ] && grep -q "cannot read trace" "$tmp/err"'
printf 'A 1 100\0junk\nR 1\n' >"$tmp/nul.trace"
"$tool" replay "$tmp/nul.trace" 2>"$tmp/err" >/dev/null; rc=$?
check "NUL byte exits 2 naming it" '[ $rc -eq 2 ] && grep -q ":1: NUL byte" "$tmp/err"'
printf 'A 1 100\rR 1\n' >"$tmp/cr.trace"
"$tool" replay "$tmp/cr.trace" 2>"$tmp/err" >/dev/null; rc=$?
check "text after a lone CR exits 2 (not dropped)" '[ $rc -eq 2 ] && grep -q ":1:" "$tmp/err"'
printf 'A 1 100\r\nR 1\r\nF\r\n' >"$tmp/crlf.trace"
check "CRLF trace replays" '"$tool" replay "$tmp/crlf.trace" >/dev/null 2>&1'
{ printf '# bufpool trace of pool %0600d\nA 1 100\nR 1\n' 7; } >"$tmp/longcomment.trace"
check "a 600-character comment line is skipped" '"$tool" replay "$tmp/longcomment.trace" >/dev/null 2>&1'
{ printf 'A 1 100\nA 2 %0600d1\n' 0; } >"$tmp/longline.trace"
"$tool" replay "$tmp/longline.trace" 2>"$tmp/err" >/dev/null; rc=$?
check "a long event line exits 2 at line 2" '[ $rc -eq 2 ] && grep -q ":2: line too long" "$tmp/err"'
# the first F after the first chunk (65536 events): frames still begin (was: frame end without begin)
awk 'BEGIN{ for(i=0;i<70000;i++) printf "A %d 64\n", i; print "F"; for(i=0;i<70000;i++) printf "R %d\n", i; print "F" }' >"$tmp/lateF.trace"
json=$("$tool" replay "$tmp/lateF.trace" --json 2>"$tmp/err"); rc=$?
check "first F after 65536 events replays, 2 frames" '[ $rc -eq 0 ] && [ "$(field "$json" frames)" = 2 ]'
json=$(cat "$tmp/lateF.trace" | "$tool" replay /dev/stdin --json 2>/dev/null); rc=$?
check "the same trace through a pipe" '[ $rc -eq 0 ] && [ "$(field "$json" frames)" = 2 ]'

# a long generated trace replays, streaming
awk 'BEGIN{srand(7); for(f=0; f<2000; f++){ for(i=0;i<50;i++){ id=f*50+i; printf "A %d %d\n", id, 64+int(rand()*100000) } for(i=0;i<50;i++) printf "R %d\n", f*50+i; print "F" } }' >"$tmp/long.trace"
json=$("$tool" replay "$tmp/long.trace" --json)
check "long trace replays with plateau" '[ "$(field "$json" plateau)" = true ] && [ "$(field "$json" leaked_buffers)" = 0 ]'
check "replay has a warm hit rate (from the series)" 'awk -v h="$(field "$json" warm_hit_rate)" "BEGIN{exit !(h > 0.5)}"'

# the library's verdict through the tool: a leak of one buffer a frame is growing; CSV and HTML
awk 'BEGIN{ for(f=0; f<400; f++){ for(i=0;i<20;i++){ id=f*100+i; printf "A %d %d\n", id, 1000+(i*377)%3000 } for(i=0;i<20;i++) printf "R %d\n", f*100+i; printf "A %d 512\nF\n", f*100+99 } }' >"$tmp/leak.trace"
json=$("$tool" replay "$tmp/leak.trace" --json --csv "$tmp/leak.csv" --html "$tmp/leak.html")
check "leaking trace: plateau false" '[ "$(field "$json" plateau)" = false ] && [ "$(field "$json" verdict)" = growing ]'
check "leaking trace: 400 buffers held" '[ "$(field "$json" leaked_buffers)" = 400 ]'
check "CSV has a header and 400 rows" '[ "$(wc -l <"$tmp/leak.csv")" = 401 ] && head -1 "$tmp/leak.csv" | grep -q "^frame,frames_per_row,reserved_bytes,in_use_bytes,pooled_bytes,pending_bytes,acquires,hits,creates,destroys$"'
check "CSV row of frame 10: 21 acquires" 'grep -q "^10,1,[0-9]*,[0-9]*,[0-9]*,[0-9]*,21," "$tmp/leak.csv"'
check "HTML says growing, names the held tag" 'grep -q "Memory is still growing" "$tmp/leak.html" && grep -q "Still held when the run ended" "$tmp/leak.html"'
check "HTML is self-contained (no external URL)" '! grep -qE "(src|href)=\"(https?:)?//" "$tmp/leak.html"'
"$tool" scenario instances --frames 100 --html "$tmp/inst.html" >/dev/null
check "scenario HTML says plateau" 'grep -q "Memory plateaued" "$tmp/inst.html"'
"$tool" scenario instances --frames 5 --json --csv /nonexistent/dir/x.csv >/dev/null 2>&1; rc=$?
check "unwritable CSV exits 1" '[ $rc -eq 1 ]'
"$tool" scenario instances --csv >/dev/null 2>&1; rc=$?
check "--csv without a file exits 2" '[ $rc -eq 2 ]'
"$tool" replay "$tmp/long.trace" 2>"$tmp/progress" >/dev/null
check "no progress line when stderr is not a terminal" '[ ! -s "$tmp/progress" ]'
if script -qec true /dev/null >/dev/null 2>&1; then # util-linux's script gives the tool a terminal (when ptys exist)
  script -qec "$tool replay $tmp/long.trace" /dev/null >"$tmp/tty" 2>&1
  check "progress line on a terminal" 'grep -q "bufpool: replay  *[0-9]*%  [0-9]* events, [0-9]* frames" "$tmp/tty"'
fi

# the run file: bufpool report draws later exactly what --html draws at once
"$tool" replay "$tmp/leak.trace" --run "$tmp/run.json" >/dev/null 2>&1
"$tool" report "$tmp/run.json" -o "$tmp/later.html" --csv "$tmp/later.csv"
check "report RUN.json -o: same page as --html" 'cmp -s "$tmp/leak.html" "$tmp/later.html"'
check "report RUN.json --csv: same series as --csv" 'cmp -s "$tmp/leak.csv" "$tmp/later.csv"'
head -c 2000 "$tmp/run.json" >"$tmp/trunc.json"
"$tool" report "$tmp/trunc.json" -o "$tmp/x.html" 2>"$tmp/err"; rc=$?
check "truncated run file exits 2 naming the byte" '[ $rc -eq 2 ] && grep -q "byte [0-9]*:" "$tmp/err"'
printf '{"workload":"x","frames":3}' >"$tmp/noseries.json"
"$tool" report "$tmp/noseries.json" -o "$tmp/x.html" 2>/dev/null; rc=$?
check "run file without a series exits 2" '[ $rc -eq 2 ]'
"$tool" report "$tmp/run.json" 2>/dev/null; rc=$?
check "report without -o exits 2" '[ $rc -eq 2 ]'
# hostile run files: a directory, trailing text, numbers past 2^64 and 2^53, markup in strings
"$tool" report "$tmp" -o "$tmp/x.html" 2>"$tmp/err"; rc=$?
check "report of a directory exits 2" '[ $rc -eq 2 ] && grep -q "not a regular file" "$tmp/err"'
truncate -s 100M "$tmp/huge.json"
"$tool" report "$tmp/huge.json" -o "$tmp/x.html" 2>"$tmp/err"; rc=$?
check "a 100 MiB run file is refused unread" '[ $rc -eq 2 ] && grep -q "over 64 MiB" "$tmp/err"'
printf '{"workload":"x","series":[]} garbage' >"$tmp/trail.json"
"$tool" report "$tmp/trail.json" -o "$tmp/x.html" 2>/dev/null; rc=$?
check "text after the run file's object exits 2" '[ $rc -eq 2 ]'
printf '{"workload":"x","series":[[1,1e400,0,0,0,0,0,0,0]]}' >"$tmp/inf.json"
"$tool" report "$tmp/inf.json" --csv "$tmp/inf.csv" 2>/dev/null
check "1e400 reads as the largest 64-bit value" 'grep -q "^1,[0-9]*,18446744073709551615," "$tmp/inf.csv"'
printf '{"workload":"x","series":[[18446744073709551615,1,0,0,0,0,0,0,0]]}' >"$tmp/bigframe.json"
timeout 20 "$tool" report "$tmp/bigframe.json" -o "$tmp/x.html" 2>/dev/null; rc=$?
check "a frame past 2^53 draws (no endless axis loop)" '[ $rc -eq 0 ]'
printf '{"workload":"x","classes":"<script>x()</script>","series":[]}' >"$tmp/markup.json"
"$tool" report "$tmp/markup.json" -o "$tmp/x.html" 2>/dev/null
check "run file strings are escaped in the page" '! grep -q "<script>" "$tmp/x.html"'

# usage errors
"$tool" --bogus >/dev/null 2>&1; rc=$?
check "unknown option exits 2" '[ $rc -eq 2 ]'
"$tool" scenario nosuch >/dev/null 2>&1; rc=$?
check "unknown workload exits 2" '[ $rc -eq 2 ]'
"$tool" --version | grep -q "bufpool [0-9]" && ok "--version" || bad "--version"

echo "$passes passed, $fails failed"
[ $fails -eq 0 ]
