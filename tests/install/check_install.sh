#!/bin/sh
# Installs the build into a temporary prefix, then builds a small program against it through
# pkg-config, shared and static, and runs it and the installed command.
set -eu
build=$1
src=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
export PKG_CONFIG_PATH="$tmp/prefix/lib/pkgconfig"
cat >"$tmp/use.c" <<'C'
#include <glia/glia.h>
#include <glia/explore.h>
#include <stdio.h>
#include <string.h>
int main(void) {
  glia_image *img = glia_image_new(3, 2, 1);
  int ok = img && !strcmp(glia_version(), GLIA_VERSION_STRING);
  glia_image_free(img);
  printf("%s\n", ok ? "ok" : "bad");
  return !ok;
}
C
cc "$tmp/use.c" $(pkg-config --cflags --libs glia) -o "$tmp/use_shared"
LD_LIBRARY_PATH="$tmp/prefix/lib" "$tmp/use_shared" | grep -qx ok
cc "$tmp/use.c" $(pkg-config --cflags glia) "$tmp/prefix/lib/libglia.a" \
  $(pkg-config --static --libs glia | sed 's/-lglia//') -o "$tmp/use_static"
"$tmp/use_static" | grep -qx ok
"$tmp/prefix/bin/glia" --version | grep -q '^glia '
echo "install: 1 passed, 0 failed"
