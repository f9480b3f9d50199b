#!/usr/bin/env bash
# The HTML report in a real browser: headless Chromium loads the page of the instances
# scenario, its DOM must hold the three charts and the verdict, its screenshot must show
# coloured chart pixels, and the browser must log no console error. Skips (77) only when
# Chromium is not installed or cannot start here.
set -u
tool=$1 here=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then echo "SKIPPED: chromium is not installed (scripts/install-deps.sh test)"; exit 77; fi
flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking
       --disable-component-update --disable-sync --hide-scrollbars --user-data-dir="$tmp/profile")
if ! timeout 60 "$browser" "${flags[@]}" --dump-dom "data:text/html,<p>ok</p>" 2>/dev/null | grep -q "<p>ok</p>"; then
  echo "SKIPPED: chromium cannot start here"; exit 77
fi
fails=0
ok() { echo "ok - $1"; }
bad() { fails=$((fails + 1)); echo "FAIL - $1"; }
check() { if eval "$2"; then ok "$1"; else bad "$1 ($2)"; fi; }

"$tool" scenario instances --frames 300 --html "$tmp/report.html" >/dev/null || bad "scenario --html exits 0"
url="file://$tmp/report.html"
timeout 60 "$browser" "${flags[@]}" --dump-dom "$url" >"$tmp/dom.html" 2>/dev/null
check "DOM holds the page title" 'grep -q "<title>bufpool report: instances</title>" "$tmp/dom.html"'
check "DOM holds 3 charts" '[ "$(grep -o "<svg" "$tmp/dom.html" | wc -l)" -eq 3 ]'
check "DOM holds 5 chart lines" '[ "$(grep -o "<polyline" "$tmp/dom.html" | wc -l)" -eq 5 ]'
check "DOM holds size-class bars" '[ "$(grep -o "<rect" "$tmp/dom.html" | wc -l)" -gt 10 ]'
check "DOM states the verdict" 'grep -q "Memory plateaued" "$tmp/dom.html"'
check "DOM lists the instance_buffer tag" 'grep -q "instance_buffer" "$tmp/dom.html"'

timeout 60 "$browser" "${flags[@]}" --enable-logging=stderr --v=0 --window-size=900,1000 \
  --screenshot="$tmp/shot.png" "$url" >/dev/null 2>"$tmp/log"
check "screenshot written" '[ -s "$tmp/shot.png" ]'
check "no console errors" '! grep -iE "CONSOLE|Uncaught|SyntaxError|Failed to load resource" "$tmp/log"'
if [ -s "$tmp/shot.png" ]; then
  coloured=$(python3 "$here/png_colour_pixels.py" "$tmp/shot.png")
  echo "# coloured pixels: $coloured"
  check "charts painted (> 5000 coloured pixels)" '[ "${coloured:-0}" -gt 5000 ]'
fi
# a page that is not the report (empty) paints no chart: the pixel check can fail
printf '<!DOCTYPE html><html><body></body></html>' >"$tmp/empty.html"
timeout 60 "$browser" "${flags[@]}" --window-size=300,200 --screenshot="$tmp/empty.png" "file://$tmp/empty.html" >/dev/null 2>&1
check "an empty page paints no coloured pixels" '[ "$(python3 "$here/png_colour_pixels.py" "$tmp/empty.png")" -lt 100 ]'
[ $fails -eq 0 ] && echo "all passed" || echo "$fails failed"
exit $((fails > 0))
