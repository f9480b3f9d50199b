#!/usr/bin/env bash
# Build the API fuzz driver with clang, libFuzzer, ASan and UBSan, and run it (one process).
# Usage: scripts/fuzz.sh [RUNS] [more libFuzzer flags]      (default: 10,000,000 runs)
# FUZZ_SANITIZE=undefined (instead of address,undefined) runs about twice as fast.
# The corpus grows in build-fuzz-*/corpus (seeded from tests/fuzz/corpus); a finding is written
# to build-fuzz-*/crash-* and replays with: build-fuzz-*/tests/fuzz_api build-fuzz-*/crash-...
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10000000}
shift || true
bash scripts/install-deps.sh fuzz
sanitize=${FUZZ_SANITIZE:-address,undefined}
out=build-fuzz-${sanitize//,/-}
cmake -S . -B $out -G Ninja -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DBP_FUZZ=ON -DBP_SANITIZE=$sanitize -DBP_WARNINGS_AS_ERRORS=OFF \
  -DBP_BUILD_EXAMPLES=OFF -DBP_WITH_OPENCL=OFF -DBP_WITH_CUDA=OFF >/dev/null
cmake --build $out --target fuzz_api -j 2
mkdir -p $out/corpus
cp -n tests/fuzz/corpus/* $out/corpus/ 2>/dev/null || true
cd $out
exec ./tests/fuzz_api -runs="$runs" -seed=1 -max_len=256 -print_final_stats=1 -artifact_prefix=./ "$@" corpus
