#!/usr/bin/env bash
# Builds SeaweedFS's `weed` (Apache-2.0; the S3 server the tiered-storage tests and local runs use)
# from the Go module proxy, once: the binary is cached and a second run only prints its path.
# `go install module@version` refuses this module (its go.mod has replace directives), so the
# module is downloaded, copied to a writable dir and built there as the main module.
#
#   scripts/s3-server/install.sh        # prints the path of the weed binary on stdout
#
# Environment: HIGHWATER_CACHE_DIR (default ~/.cache/highwater), SEAWEEDFS_VERSION (pinned below).
set -euo pipefail

module=github.com/seaweedfs/seaweedfs
version=${SEAWEEDFS_VERSION:-v0.0.0-20261109003541-7506e5f91cd6}
cache=${HIGHWATER_CACHE_DIR:-$HOME/.cache/highwater}/seaweedfs/$version
bin=$cache/weed

if [ -x "$bin" ] && "$bin" version >/dev/null 2>&1; then
  echo "$bin"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  for candidate in /usr/local/go/bin /usr/lib/go/bin; do
    [ -x "$candidate/go" ] && PATH="$candidate:$PATH"
  done
fi
command -v go >/dev/null 2>&1 || { echo "install.sh: no Go toolchain on PATH; SeaweedFS is built from source" >&2; exit 1; }

mkdir -p "$cache"
start=$(date +%s)
echo "building SeaweedFS $version into $cache (takes ~10 minutes on 2 cores the first time)" >&2

# `go mod download -json` prints the module's Dir in the module cache (read-only files).
dir=$(cd "$cache" && GOFLAGS=-mod=mod go mod download -json "$module@$version" \
  | sed -n 's/^[[:space:]]*"Dir":[[:space:]]*"\(.*\)",\{0,1\}$/\1/p')
[ -n "$dir" ] && [ -d "$dir" ] || { echo "install.sh: go mod download gave no Dir for $module@$version" >&2; exit 1; }

src=$cache/src
rm -rf "$src" "$bin.tmp"
cp -R "$dir" "$src"
chmod -R u+w "$src"
(cd "$src" && GOFLAGS=-buildvcs=false go build -o "$bin.tmp" ./weed) >&2
"$bin.tmp" version >/dev/null
mv "$bin.tmp" "$bin"
# The sources are not needed to run it (the module cache keeps a copy for a rebuild).
rm -rf "$src"

echo "built $bin in $(( $(date +%s) - start )) s" >&2
echo "$bin"
