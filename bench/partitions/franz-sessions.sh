#!/usr/bin/env bash
# Does franz-go run incremental fetch sessions against Highwater? Starts a broker, writes records
# with kafka-producer-perf-test, reads them back with franz-go (bench/partitions/franz-sessions,
# built here with the Go toolchain), and prints the broker's fetch-session metrics.
#   bench/partitions/franz-sessions.sh [--records N] [--partitions P] [--port 25192]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
source "$root/bench/kafka/common.sh"
records=20000; partitions=8; port=25192
while [ $# -gt 0 ]; do
  case "$1" in
    --records) records="$2"; shift 2 ;;
    --partitions) partitions="$2"; shift 2 ;;
    --port) port="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
http=$((port + 1))
bin="${TMPDIR:-/tmp}/highwater-franz-sessions"
(cd "$here/franz-sessions" && go build -o "$bin" .)
dir="$(mktemp -d "${TMPDIR:-/tmp}/hw-franz-XXXX")"
node "$root/src/cli/main.ts" start --port "$port" --http-port "$http" --data-dir "$dir" --log-level warn > "$dir.log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$dir" "$dir.log"' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$http/readyz" > /dev/null && break; sleep 0.2; done
node "$root/src/cli/main.ts" topics create franz -p "$partitions" -b "127.0.0.1:$port" > /dev/null
"$(kafka_java)" -Xmx512m -Dlog4j2.level=WARN -cp "$KAFKA_TOOLS_LIBS_DIR/*" org.apache.kafka.tools.ProducerPerformance --topic franz \
  --num-records "$records" --record-size 1024 --throughput -1 --producer-props "bootstrap.servers=127.0.0.1:$port" acks=1 | tail -1
"$bin" --bootstrap "127.0.0.1:$port" --topic franz --records "$records" --timeout 60s
curl -s "http://127.0.0.1:$http/metrics" | grep -E '^highwater_(incremental_fetches_total|fetch_sessions|fetch_session_partitions) |^highwater_requests_total\{api="Fetch"\}'
