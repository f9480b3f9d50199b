#!/usr/bin/env bash
# Install bufpool into a temporary DESTDIR and use it the way users do: the files and the
# SONAME, the tool, pkg-config, then two out-of-tree consumers (CMake find_package: shared
# and static; plain cc + pkg-config: shared, run with LD_LIBRARY_PATH) that must build and run.
# Usage: install_test.sh BUILD_DIR CONSUMER_SOURCE_DIR C_COMPILER VERSION SOVERSION [BACKEND...]
# BP_CONSUMER_FLAGS (environment): extra compile and link flags, e.g. a sanitizer's.
set -euo pipefail
build=$1 consumer_src=$2 cc=$3 version=$4 soversion=$5
shift 5
backends=("$@")
read -r -a extra <<<"${BP_CONSUMER_FLAGS:-}"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
ok() { echo "ok   $1"; }
bad() { echo "FAIL $1"; fails=$((fails + 1)); }
check() {
  local what=$1; shift
  if "$@" >"$tmp/out" 2>&1; then ok "$what $(head -n1 "$tmp/out")"; else bad "$what"; cat "$tmp/out"; fi
}

# DESTDIR staging under a prefix that does not exist: the installed package files must be
# relocatable (found relative to themselves), or nothing below would work.
prefix=/opt/bufpool-test
DESTDIR=$tmp/stage cmake --install "$build" --prefix "$prefix" >"$tmp/install.log"
root=$tmp/stage$prefix
[ -d "$root" ] && ok "DESTDIR honoured ($root)" || { bad "nothing under DESTDIR"; exit 1; }

pcfile=$(find "$root" -name bufpool.pc | head -n1)
libdir=$(dirname "$(dirname "$pcfile")")
for f in include/bufpool.h include/bufpool_backend.h bin/bufpool share/doc/bufpool/CHANGELOG.md \
         share/doc/bufpool/feature-map.md share/man/man1/bufpool.1; do
  [ -f "$root/$f" ] && ok "installed $f" || bad "missing $f"
done
for f in libbufpool.a libbufpool.so "libbufpool.so.$soversion" "libbufpool.so.$version" \
         cmake/bufpool/bufpool-config.cmake cmake/bufpool/bufpool-config-version.cmake; do
  [ -e "$libdir/$f" ] && ok "installed ${libdir#"$root"/}/$f" || bad "missing ${libdir#"$root"/}/$f"
done
soname=$(readelf -d "$libdir/libbufpool.so" | sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p')
[ "$soname" = "libbufpool.so.$soversion" ] && ok "SONAME $soname" || bad "SONAME '$soname', want libbufpool.so.$soversion"
if command -v groff >/dev/null; then  # the man page renders without a troff warning
  check "man page renders cleanly" bash -c "[ -z \"\$(groff -man -Tutf8 -ww -z '$root/share/man/man1/bufpool.1' 2>&1)\" ]"
fi
check "installed tool reports $version" grep -qx "bufpool $version" <("$root/bin/bufpool" --version)

export PKG_CONFIG_PATH=$libdir/pkgconfig   # searched before the system's
check "pkg-config --modversion bufpool = $version" grep -qx "$version" <(pkg-config --modversion bufpool)
for b in "${backends[@]}"; do
  check "pkg-config bufpool-$b = $version" grep -qx "$version" <(pkg-config --modversion "bufpool-$b")
done

# Consumer 1: CMake find_package, shared (bufpool::bufpool) and static (bufpool::bufpool_static).
components=$(IFS=';'; echo "${backends[*]}")
if cmake -S "$consumer_src" -B "$tmp/cmake-consumer" -G Ninja -DCMAKE_C_COMPILER="$cc" \
     -DCMAKE_PREFIX_PATH="$root" -DBP_COMPONENTS="$components" -DBP_EXPECT_VERSION="$version" -DCMAKE_C_FLAGS="${extra[*]}" \
     -DCMAKE_EXE_LINKER_FLAGS="${extra[*]}" >"$tmp/out" 2>&1 &&
   cmake --build "$tmp/cmake-consumer" >>"$tmp/out" 2>&1; then
  ok "CMake consumer builds with find_package(bufpool CONFIG)"
  exe=$tmp/cmake-consumer
  check "CMake consumer (shared) runs" "$exe/consumer_default"
  check "CMake consumer (shared) needs libbufpool.so.$soversion" grep -q "libbufpool.so.$soversion" <(readelf -d "$exe/consumer_default")
  check "CMake consumer (static) runs" "$exe/consumer_static"
  check "CMake consumer (static) needs no libbufpool.so" bash -c "! readelf -d '$exe/consumer_static' | grep -q libbufpool"
  for b in "${backends[@]}"; do check "CMake consumer of bufpool::$b runs" "$exe/consumer_$b"; done
else
  bad "CMake consumer builds with find_package(bufpool CONFIG)"; cat "$tmp/out"
fi

# Consumer 2: plain cc with pkg-config's flags, shared library found through LD_LIBRARY_PATH.
# shellcheck disable=SC2046
if "$cc" -std=c11 -Wall -Wextra -Wpedantic -Werror "${extra[@]}" "$consumer_src/consumer.c" -o "$tmp/pc-consumer" \
     $(pkg-config --cflags --libs bufpool) >"$tmp/out" 2>&1; then
  ok "cc \$(pkg-config --cflags --libs bufpool) builds"
  check "pkg-config consumer runs with LD_LIBRARY_PATH" env LD_LIBRARY_PATH="$libdir" "$tmp/pc-consumer"
  check "pkg-config consumer needs libbufpool.so.$soversion" grep -q "libbufpool.so.$soversion" <(readelf -d "$tmp/pc-consumer")
else
  bad "cc \$(pkg-config --cflags --libs bufpool) builds"; cat "$tmp/out"
fi
for b in "${backends[@]}"; do
  # shellcheck disable=SC2046
  if "$cc" -std=c11 -Wall -Wextra -Werror "${extra[@]}" "$consumer_src/consumer_$b.c" -o "$tmp/pc-consumer-$b" \
       $(pkg-config --cflags --libs "bufpool-$b") >"$tmp/out" 2>&1; then
    ok "cc \$(pkg-config --cflags --libs bufpool-$b) builds"
    check "pkg-config consumer of bufpool-$b runs" env LD_LIBRARY_PATH="$libdir" "$tmp/pc-consumer-$b"
  else
    bad "cc \$(pkg-config --cflags --libs bufpool-$b) builds"; cat "$tmp/out"
  fi
done

# Consumer 3: C++ including every installed header (C linkage, C++-clean declarations).
cxx=$(command -v c++ || command -v clang++ || true)
if [ -n "$cxx" ]; then
  includes=()
  for h in "$root"/include/bufpool*.h; do includes+=(-include "$h"); done
  # shellcheck disable=SC2046
  if "$cxx" -std=c++11 -Wall -Wextra -Werror "${extra[@]}" "${includes[@]}" "$consumer_src/consumer_cxx.cpp" \
       -o "$tmp/cxx-consumer" $(pkg-config --cflags --libs bufpool) >"$tmp/out" 2>&1; then
    ok "C++ ($(basename "$cxx")) compiles every installed header and links"
    check "C++ consumer runs" env LD_LIBRARY_PATH="$libdir" "$tmp/cxx-consumer"
  else
    bad "C++ ($(basename "$cxx")) compiles every installed header and links"; cat "$tmp/out"
  fi
else
  echo "skip C++ consumer: no C++ compiler (c++ or clang++)"
fi

echo "$fails failed"
[ "$fails" -eq 0 ]
