#!/usr/bin/env bash
# Runs the Java client driver built by scripts/install-compat-clients.sh (mvn package).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [ ! -f "$here/target/classpath.txt" ]; then
  echo "not installed: run scripts/install-compat-clients.sh" >&2
  exit 3
fi
exec java -Xmx256m -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
  -cp "$here/target/classes:$(cat "$here/target/classpath.txt")" highwater.compat.Driver "$@"
