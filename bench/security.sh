#!/usr/bin/env bash
# Produce and consume throughput over TLS against plaintext, on Highwater and on Apache Kafka, in
# one run with the same load tools (Kafka's ProducerPerformance and ConsumerPerformance, the JVM
# client for all four targets). Highwater serves a PLAINTEXT and an SSL listener from one broker;
# Kafka is started twice, once per listener protocol, on the same throwaway certificate.
# Usage: bench/security.sh [--records 300000] [--record-size 1024] [--rounds 1] [--port 19520]
# Needs bench/kafka/fetch.sh done (KAFKA_DIST_DIR) and openssl. Prints one line per run.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/kafka/common.sh"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
records=300000 record_size=1024 rounds=1 port=19520
while [ $# -gt 0 ]; do
  case "$1" in
    --records) records="$2"; shift 2 ;;
    --record-size) record_size="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --port) port="$2"; shift 2 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
kafka_require_libs
java_bin="$(kafka_java)"
work="$(mktemp -d)"
hw_pid=""
cleanup() {
  [ -n "$hw_pid" ] && kill "$hw_pid" 2>/dev/null || true
  bash "$KAFKA_BENCH_DIR/stop.sh" --data-dir "$work/kafka" --timeout 20 >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# A throwaway CA and a server certificate for 127.0.0.1 (PKCS#8 key and chain in one PEM file,
# which both brokers read as a PEM keystore).
(
  cd "$work"
  openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 1 -subj /CN=bench-ca 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=localhost 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' > server.ext
  openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 1 -extfile server.ext 2>/dev/null
  cat server.key server.pem > keystore.pem
)
printf 'security.protocol=SSL\nssl.truststore.type=PEM\nssl.truststore.location=%s/ca.pem\n' "$work" > "$work/ssl-client.properties"
printf 'security.protocol=PLAINTEXT\n' > "$work/plain-client.properties"

tools=(-Xmx512m -Dlog4j2.level=WARN -Dlog4j2.rootLevel=WARN -cp "$KAFKA_TOOLS_LIBS_DIR/*")

# run_load <target> <protocol> <bootstrap> <topic>: one produce, then one consume of what it wrote.
run_load() {
  local target="$1" protocol="$2" bootstrap="$3" topic="$4" config
  config="$work/$( [ "$protocol" = SSL ] && echo ssl || echo plain )-client.properties"
  local produced consumed
  produced="$("$java_bin" "${tools[@]}" org.apache.kafka.tools.ProducerPerformance --topic "$topic" \
    --num-records "$records" --record-size "$record_size" --throughput -1 \
    --producer-props bootstrap.servers="$bootstrap" acks=1 linger.ms=5 batch.size=131072 \
    --producer.config "$config" 2>/dev/null | tail -1)"
  consumed="$("$java_bin" "${tools[@]}" org.apache.kafka.tools.ConsumerPerformance --bootstrap-server "$bootstrap" \
    --topic "$topic" --messages "$records" --timeout 60000 --command-config "$config" 2>/dev/null | tail -1)"
  # ProducerPerformance: "N records sent, R records/sec (M MB/sec), ..."; ConsumerPerformance CSV:
  # start, end, MB, MB/sec, messages, messages/sec, ...
  local p_mb c_mb
  p_mb="$(sed -E 's/.*\(([0-9.]+) MB\/sec\).*/\1/' <<<"$produced")"
  c_mb="$(cut -d, -f4 <<<"$consumed" | tr -d ' ')"
  echo "$target | $protocol | produce $p_mb MB/s | consume $c_mb MB/s"
}

echo "target | listener | produce (acks=1, ${record_size} B) | consume"
for round in $(seq "$rounds"); do
  # Highwater: one broker, both listeners.
  rm -rf "$work/hw"
  (cd "$repo" && exec node src/cli/main.ts start --fsync never --http-port -1 --data-dir "$work/hw" \
    --listeners "PLAINTEXT://127.0.0.1:$port,SSL://127.0.0.1:$((port + 1))" --ssl-keystore-location "$work/keystore.pem" \
    >"$work/hw.log" 2>&1) &
  hw_pid=$!
  for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$((port + 1))") 2>/dev/null && break; sleep 0.1; done
  run_load highwater PLAINTEXT "127.0.0.1:$port" "plain-$round"
  run_load highwater SSL "127.0.0.1:$((port + 1))" "ssl-$round"
  kill "$hw_pid"; wait "$hw_pid" 2>/dev/null || true; hw_pid=""

  # Kafka: once per listener protocol, fresh data dir each time.
  for protocol in PLAINTEXT SSL; do
    rm -rf "$work/kafka"; mkdir -p "$work/kafka"
    printf 'ssl.keystore.type=PEM\nssl.keystore.location=%s/keystore.pem\nssl.truststore.type=PEM\nssl.truststore.location=%s/ca.pem\n' "$work" "$work" > "$work/kafka-extra.properties"
    bash "$KAFKA_BENCH_DIR/start.sh" --port "$((port + 2))" --controller-port "$((port + 3))" --data-dir "$work/kafka" \
      --heap 1g --partitions 1 --listener-protocol "$protocol" --extra-properties "$work/kafka-extra.properties" >/dev/null
    run_load kafka "$protocol" "127.0.0.1:$((port + 2))" "$(tr 'A-Z' 'a-z' <<<"$protocol")-$round"
    bash "$KAFKA_BENCH_DIR/stop.sh" --data-dir "$work/kafka" --timeout 30 >/dev/null
  done
done
