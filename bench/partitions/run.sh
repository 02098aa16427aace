#!/usr/bin/env bash
# 8 against 1,000 partitions on Highwater (issue 18): kafka-producer-perf-test (1 KiB records,
# acks=1), then kafka-consumer-perf-test reading them back from the start (catch-up), for each
# partition count in turn on a fresh broker, and the fetch-session metrics after the consumer
# (the Java consumer uses KIP-227 incremental fetches by default).
#   bench/partitions/run.sh [--records N] [--counts "8 1000"] [--port 25092] [--rounds 1] [--brokers "DIR ..."]
# --brokers: source trees whose broker is run in turn for each count (old against new); default this one.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
source "$root/bench/kafka/common.sh"
records=200000; counts="8 1000"; port=25092; rounds=1; brokers="$root"
while [ $# -gt 0 ]; do
  case "$1" in
    --records) records="$2"; shift 2 ;;
    --counts) counts="$2"; shift 2 ;;
    --port) port="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --brokers) brokers="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
http=$((port + 1))
java_tool() { "$(kafka_java)" -Xmx512m -Dlog4j2.level=WARN -Dlog4j2.rootLevel=WARN -cp "$KAFKA_TOOLS_LIBS_DIR/*" "$@"; }
metric() { curl -s "http://127.0.0.1:$http/metrics" | awk -v n="$1" '$1 == n { print $2 }'; }
for round in $(seq 1 "$rounds"); do
  for count in $counts; do
  for broker in $brokers; do
    dir="$(mktemp -d "${TMPDIR:-/tmp}/hw-partitions-XXXX")"
    node "$broker/src/cli/main.ts" start --port "$port" --http-port "$http" --data-dir "$dir" --log-level warn > "$dir.log" 2>&1 &
    pid=$!
    for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$http/readyz" > /dev/null && break; sleep 0.2; done
    node "$root/src/cli/main.ts" topics create "p$count" -p "$count" -b "127.0.0.1:$port" > /dev/null
    produced="$(java_tool org.apache.kafka.tools.ProducerPerformance --topic "p$count" --num-records "$records" --record-size 1024 --throughput -1 \
      --producer-props bootstrap.servers=127.0.0.1:$port acks=1 linger.ms=5 batch.size=65536 2>&1 | tail -1)"
    consumed="$(java_tool org.apache.kafka.tools.ConsumerPerformance --bootstrap-server "127.0.0.1:$port" --topic "p$count" --messages "$records" \
      --timeout 60000 --hide-header 2>&1 | tail -1)"
    echo "round $round broker $broker"
    echo "round $round partitions $count produce: $produced"
    echo "round $round partitions $count consume (start, end, MB, MB/s, records, records/s, ...): $consumed"
    echo "round $round partitions $count sessions: incremental_fetches=$(metric highwater_incremental_fetches_total) sessions=$(metric highwater_fetch_sessions) cached_partitions=$(metric highwater_fetch_session_partitions) fetch_requests=$(curl -s "http://127.0.0.1:$http/metrics" | awk '/^highwater_requests_total\{api="Fetch"\}/ { print $2 }')"
    kill "$pid"; wait "$pid" 2>/dev/null || true
    rm -rf "$dir" "$dir.log"
  done
  done
done
