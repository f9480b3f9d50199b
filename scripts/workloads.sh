# Sourced: `workloads TOOL` prints the names of the tool's built-in workloads, one a line,
# taken from the tool itself (its answer to an unknown workload lists them, one an indented
# line: "  NAME  description"). It fails, saying so, when it finds none, so that a caller
# looping over them cannot pass by running nothing.
workloads() {
  local names
  names=$("$1" scenario _ 2>&1 | awk '/the workloads are:/ { on = 1; next } on && /^  [a-z]/ { print $1 }')
  if [ -z "$names" ]; then
    echo "workloads: no workload names in the answer of '$1 scenario _'" >&2
    return 1
  fi
  echo "$names"
}
