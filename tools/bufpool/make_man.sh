#!/usr/bin/env bash
# bufpool.1, the man page, made from the tool's own --help and <command> --help, so that it
# says exactly what the help says. Usage: make_man.sh BUFPOOL OUT
set -euo pipefail
tool=$1 out=$2
# Text as troff: backslashes escaped, lines starting with . or ' protected.
troff() { sed -e 's/\\/\\e/g' -e 's/^\([.'"'"']\)/\\\&\1/'; }
version=$("$tool" --version | awk '{ print $2 }')
commands=$("$tool" --help | awk '/^commands:/ { on = 1; next } on && /^$/ { exit } on { print $1 }')
{
  echo ".TH BUFPOOL 1 \"\" \"bufpool $version\" \"User Commands\""
  echo ".SH NAME"
  echo "bufpool \\- run a workload or replay a trace on a buffer pool and report what memory did"
  echo ".SH SYNOPSIS"
  echo ".nf"
  for c in $commands; do "$tool" "$c" --help | head -n1 | sed 's/^usage: //' | troff; done
  echo "bufpool --version"
  echo ".fi"
  echo ".SH DESCRIPTION"
  echo ".nf"
  "$tool" --help | troff
  echo ".fi"
  for c in $commands; do
    echo ".SH \"COMMAND: $c\""
    echo ".nf"
    "$tool" "$c" --help | troff
    echo ".fi"
  done
  echo ".SH SEE ALSO"
  echo "The guides and the API reference in share/doc/bufpool (README.md, feature-map.md)."
} >"$out"
