#!/usr/bin/env bash
# Install the Debian packages bufpool needs that are missing. Runs as root (or through sudo).
# Usage: scripts/install-deps.sh [build|test|bench|docs|fuzz|sanitize|all]   (default: build)
set -euo pipefail
want=${1:-build}
build=(cmake ninja-build gcc pkg-config libcmocka-dev)
test=(libvulkan-dev mesa-vulkan-drivers vulkan-validationlayers glslang-tools clang valgrind ocl-icd-opencl-dev pocl-opencl-icd chromium python3 doxygen locales)
bench=(libmimalloc-dev libjemalloc-dev valgrind libvulkan-dev mesa-vulkan-drivers ocl-icd-opencl-dev pocl-opencl-icd)  # the lavapipe and PoCL sections
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
# tests/test_locale_numbers.c sets a decimal-comma LC_NUMERIC (de_DE.UTF-8); without one it
# checks the C locale only, so failing to generate it is a note, never an error.
need_locale=false
if [[ $want == test || $want == all ]] && ! locale -a 2>/dev/null | grep -qix 'de_DE\.utf-\?8'; then
  need_locale=true
fi
[ ${#missing[@]} -eq 0 ] && ! $need_locale && exit 0
no_locale="note: de_DE.UTF-8 not generated; test_locale_numbers checks the C locale only"
sudo=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null; then sudo=sudo
  elif [ ${#missing[@]} -gt 0 ]; then echo "need root to install: ${missing[*]}" >&2; exit 1
  else echo "$no_locale (not root)" >&2; exit 0
  fi
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if $need_locale; then # sudo -n: never a password prompt just for the locale
  echo "generating the de_DE.UTF-8 locale"
  ${sudo:+$sudo -n} localedef -i de_DE -f UTF-8 de_DE.UTF-8 || echo "$no_locale" >&2
fi
