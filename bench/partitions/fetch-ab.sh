#!/usr/bin/env bash
# Old against new broker trees, alternating: the same data (P partitions, 1 KiB records) written by
# kafka-producer-perf-test into each broker's fresh data dir, then fetch-timing.ts over all of it.
#   bench/partitions/fetch-ab.sh --brokers "OLD NEW" [--partitions 1000] [--records 100000] [--rounds 2] [--port 25292]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
source "$root/bench/kafka/common.sh"
brokers="$root"; partitions=1000; records=100000; rounds=2; port=25292
while [ $# -gt 0 ]; do
  case "$1" in
    --brokers) brokers="$2"; shift 2 ;;
    --partitions) partitions="$2"; shift 2 ;;
    --records) records="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --port) port="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
http=$((port + 1))
for round in $(seq 1 "$rounds"); do
  for broker in $brokers; do
    dir="$(mktemp -d "${TMPDIR:-/tmp}/hw-fetch-ab-XXXX")"
    node "$broker/src/cli/main.ts" start --port "$port" --http-port "$http" --data-dir "$dir" --log-level warn > "$dir.log" 2>&1 &
    pid=$!
    for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$http/readyz" > /dev/null && break; sleep 0.2; done
    node "$root/src/cli/main.ts" topics create t -p "$partitions" -b "127.0.0.1:$port" > /dev/null
    "$(kafka_java)" -Xmx512m -Dlog4j2.level=WARN -cp "$KAFKA_TOOLS_LIBS_DIR/*" org.apache.kafka.tools.ProducerPerformance --topic t --num-records "$records" \
      --record-size 1024 --throughput -1 --producer-props "bootstrap.servers=127.0.0.1:$port" acks=1 linger.ms=5 batch.size=65536 > /dev/null
    echo "round $round $broker: $(node "$root/bench/partitions/fetch-timing.ts" --port "$port" --topic t --repeats 8)"
    kill "$pid"; wait "$pid" 2>/dev/null || true
    rm -rf "$dir" "$dir.log"
  done
done
