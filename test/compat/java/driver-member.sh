#!/usr/bin/env bash
# Runs one KIP-848 group member (ConsumerProtocolMember) of the Java client driver built by
# scripts/install-compat-clients.sh (mvn package). Arguments: bootstrap topic group name.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [ ! -f "$here/target/classpath.txt" ]; then
  echo "not installed: run scripts/install-compat-clients.sh" >&2
  exit 3
fi
exec java -Xmx128m -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
  -cp "$here/target/classes:$(cat "$here/target/classpath.txt")" highwater.compat.ConsumerProtocolMember "$@"
