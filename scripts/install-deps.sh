#!/usr/bin/env bash
# Install the Debian packages bufpool needs that are missing. Runs as root (or through sudo).
# Usage: scripts/install-deps.sh [build|test|bench|docs|fuzz|sanitize|all]   (default: build)
set -euo pipefail
want=${1:-build}
build=(cmake ninja-build gcc pkg-config libcmocka-dev)
test=(libvulkan-dev mesa-vulkan-drivers vulkan-validationlayers glslang-tools clang valgrind ocl-icd-opencl-dev pocl-opencl-icd chromium python3 doxygen)
bench=(libmimalloc-dev libjemalloc-dev valgrind libvulkan-dev mesa-vulkan-drivers)  # Vulkan: the lavapipe section
docs=(doxygen python3)
fuzz=(clang libclang-rt-14-dev libfuzzer-14-dev)
sanitize=(valgrind) # gcc brings libasan, libubsan and libtsan
case $want in
  build) pkgs=("${build[@]}") ;;
  test) pkgs=("${build[@]}" "${test[@]}") ;;
  bench) pkgs=("${build[@]}" "${bench[@]}") ;;
  docs) pkgs=("${build[@]}" "${docs[@]}") ;;
  fuzz) pkgs=("${build[@]}" "${fuzz[@]}") ;;
  sanitize) pkgs=("${build[@]}" "${sanitize[@]}") ;;
  all) pkgs=("${build[@]}" "${test[@]}" "${bench[@]}" "${docs[@]}" "${fuzz[@]}" "${sanitize[@]}") ;;
  *) echo "usage: $0 [build|test|bench|docs|fuzz|sanitize|all]" >&2; exit 2 ;;
esac
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing: ${missing[*]}"
sudo=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null || { echo "need root to install: ${missing[*]}" >&2; exit 1; }
  sudo=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
