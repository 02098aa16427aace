#!/usr/bin/env bash
# Runs one main class of the Java client driver built by scripts/install-compat-clients.sh
# (mvn package), e.g. `run-class.sh GroupSettle 127.0.0.1:9092 consumer 10 22 3`.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [ ! -f "$here/target/classpath.txt" ]; then
  echo "not installed: run scripts/install-compat-clients.sh" >&2
  exit 3
fi
class="$1"; shift
exec java -Xmx512m -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
  -cp "$here/target/classes:$(cat "$here/target/classpath.txt")" "highwater.compat.$class" "$@"
