#!/usr/bin/env bash
# The tool's command line: --help, <command> --help and --version succeed and say the truth;
# every option a command's help lists is accepted with that command; usage errors exit 2
# with a message that names the problem.
# Usage: cli_help_test.sh BUFPOOL VERSION
set -u
tool=$1 version=$2
fails=0
ok() { echo "ok   $1"; }
bad() { echo "FAIL $1"; fails=$((fails + 1)); }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$tool" --help >"$tmp/help" 2>"$tmp/err" && [ -s "$tmp/help" ] && [ ! -s "$tmp/err" ] &&
  ok "--help: exit 0, text on stdout" || bad "--help"
"$tool" -h | cmp -s - "$tmp/help" && ok "-h = --help" || bad "-h differs from --help"
[ "$("$tool" --version)" = "bufpool $version" ] && ok "--version: bufpool $version" || bad "--version"
awk 'length > 100 { exit 1 }' "$tmp/help" && ok "help lines fit 100 columns" || bad "a help line is over 100 columns"

# The commands are the first words of the lines under "commands:".
commands=$(awk '/^commands:/ { on = 1; next } on && /^$/ { exit } on { print $1 }' "$tmp/help")
[ -n "$commands" ] && ok "--help lists commands: $(echo $commands)" || bad "no commands in --help"
value_for() {  # a valid value for an option's value name
  case $1 in N) echo 1 ;; FILE) echo "$tmp/out.file" ;; NAME) echo host ;; *\|*) echo "${1%%|*}" ;; *) echo x ;; esac
}
for c in $commands; do
  if "$tool" "$c" --help >"$tmp/c.help" 2>"$tmp/err"; then
    ok "$c --help: exit 0"
  else
    bad "$c --help exits $?"; cat "$tmp/err"; continue
  fi
  grep -q "^usage: bufpool $c" "$tmp/c.help" && ok "$c --help starts with its usage" || bad "$c --help usage line"
  # Each option line: "  --flag [VALUE]" in a 24-column field, then the text. It must be
  # accepted with this command.
  while read -r flag value; do
    case $value in [A-Z]* | *\|*) args=("$flag" "$(value_for "$value")") ;; *) args=("$flag") ;; esac
    if "$tool" "$c" "${args[@]}" --help >/dev/null 2>"$tmp/err"; then
      ok "$c accepts ${args[*]}"
    else
      bad "$c rejects its documented option ${args[*]}: $(head -n1 "$tmp/err")"
    fi
  done < <(awk '/^options:/ { on = 1; next } on && /^$/ { exit } on && $1 ~ /^-/ && $1 != "-h," { print substr($0, 3, 24) }' "$tmp/c.help")
done

usage_error() {  # what, expected stderr text, args...
  local what=$1 want=$2; shift 2
  "$tool" "$@" >"$tmp/out" 2>"$tmp/err"; local rc=$?
  if [ $rc -eq 2 ] && grep -q -- "$want" "$tmp/err" && [ ! -s "$tmp/out" ]; then
    ok "$what: exit 2, '$want'"
  else
    bad "$what: exit $rc, stderr: $(head -n1 "$tmp/err")"
  fi
}
usage_error "unknown option" "unknown option '--bogus'" scenario --bogus
usage_error "unknown option before the command" "unknown option '-x'" -x scenario
usage_error "unknown command" "unknown command 'frobnicate'" frobnicate
usage_error "option of another command" "'--frames' does not apply to 'replay'" replay t.trace --frames 3
usage_error "missing value" "'--frames' needs a number" scenario --frames
usage_error "bad number" "'--seed' needs a non-negative integer" scenario --seed -5x
usage_error "bad choice" "'--classes' takes fine or pow2" scenario --classes big
usage_error "no command" "no command given"
usage_error "unknown workload" "unknown workload 'nosuch'" scenario nosuch
usage_error "replay without a trace" "replay needs a trace file" replay

echo "$fails failed"
[ "$fails" -eq 0 ]
