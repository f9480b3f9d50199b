# Sourced: `workloads TOOL` prints the names of the tool's built-in workloads, one a line,
# taken from the tool itself (its answer to an unknown workload lists them).
workloads() {
  "$1" scenario _ 2>&1 | sed -n "s/.*unknown workload '[^']*' (\(.*\))$/\1/p" | tr -d ',' | tr ' ' '\n' | grep .
}
