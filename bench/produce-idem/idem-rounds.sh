#!/usr/bin/env bash
# Issue 18's idempotence cost, alternating in one run: for each round and each target, Kafka's
# producer-perf-test (1 KiB, 8 partitions, acks=all, batch.size 16384, linger.ms 5, unthrottled)
# with enable.idempotence=true and then =false, each on a fresh topic (Highwater: a fresh broker
# per run), with the broker's CPU per thread (bench/thread-cpu.py) and the producer's own metrics
# (--print-metrics: request latency, records per request, requests in flight, queue time), and the
# producer JVM's own CPU seconds (user+sys from /usr/bin/time, JVM start-up and JIT included).
#   bench/produce-idem/idem-rounds.sh --trees "OLD_TREE NEW_TREE" [--kafka] [--records 1000000]
#     [--rounds 3] [--partitions 8] [--base-port 27300] [--fsync never] [--props "k=v ..."]
#     [--lock /tmp/highwater-bench.lock]
# A target is a Highwater source tree, "discard" (bench/discard-server.ts: acknowledges without
# storing, so its idempotence cost is the client's alone) or, with --kafka, Kafka started once.
# Each perf-test run takes the bench lock on its own.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
trees="$root"; with_kafka=0; records=1000000; rounds=3; base=27300; fsync=never; props=""; partitions=8
lock=/tmp/highwater-bench.lock; modes="true false"
while [ $# -gt 0 ]; do
  case "$1" in
    --trees) trees="$2"; shift 2 ;;
    --kafka) with_kafka=1; shift ;;
    --records) records="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --partitions) partitions="$2"; shift 2 ;;
    --base-port) base="$2"; shift 2 ;;
    --fsync) fsync="$2"; shift 2 ;;
    --props) props="$2"; shift 2 ;;
    --modes) modes="$2"; shift 2 ;;
    --lock) lock="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
export PATH="$root/node_modules/.bin:$PATH"
hw_port=$base; hw_http=$((base + 1)); kafka_port=$((base + 10)); kafka_controller=$((base + 11))
work="$(mktemp -d "${TMPDIR:-/tmp}/produce-idem-XXXX")"
kafka_dir="$work/kafka"

start_hw() { # tree data-dir -> pid
  node "$1/src/cli/main.ts" start --port "$hw_port" --http-port "$hw_http" --data-dir "$2" --fsync "$fsync" --shards 1 --log-level warn > "$2.log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 150); do curl -sf "http://127.0.0.1:$hw_http/readyz" > /dev/null && break; sleep 0.2; done
  echo "$pid"
}
if [ "$with_kafka" = 1 ]; then
  bash "$root/bench/kafka/start.sh" --port "$kafka_port" --controller-port "$kafka_controller" --data-dir "$kafka_dir" --heap 512m > "$work/kafka-start.log" 2>&1
  kafka_pid="$(cat "$kafka_dir/kafka.pid")"
fi
cleanup() { [ "$with_kafka" = 1 ] && bash "$root/bench/kafka/stop.sh" --data-dir "$kafka_dir" > /dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT

targets="$trees"; [ "$with_kafka" = 1 ] && targets="$targets kafka"
mb="$(awk -v r="$records" 'BEGIN { print r * 1024 / 1048576 }')"
echo "# records=$records partitions=$partitions fsync=$fsync props='$props' rounds=$rounds"
echo "# round target idem rec/s avg_ms p99_ms | req_lat_avg_ms rec_per_req in_flight queue_avg_ms batch_avg_B | producer JVM CPU (user+sys, start-up included) | broker s/GB per thread | load1"
n=0
for round in $(seq 1 "$rounds"); do
  for target in $targets; do
    for idem in $modes; do
      n=$((n + 1)); topic="pi-$round-$n"
      if [ "$target" = kafka ]; then pid="$kafka_pid"; port="$kafka_port"; label=kafka
      elif [ "$target" = discard ]; then
        node "$root/bench/discard-server.ts" --port "$hw_port" --partitions "$partitions" > "$work/discard.log" 2>&1 &
        pid=$!; port="$hw_port"; label=discard; data=""
        for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$hw_port") 2>/dev/null && break; sleep 0.1; done
      else
        data="$work/hw-$n"; mkdir -p "$data"
        pid="$(start_hw "$target" "$data")"; port="$hw_port"; label="$(basename "$target")"
      fi
      [ "$target" = discard ] || node "$root/src/cli/main.ts" topics create "$topic" -p "$partitions" -b "127.0.0.1:$port" > /dev/null
      python3 "$root/bench/thread-cpu.py" snap "$pid" > "$work/before.json"
      # shellcheck disable=SC2086
      flock "$lock" /usr/bin/time -f 'client_cpu %U %S' -o "$work/time" bash "$root/bench/kafka/perf-test.sh" --topic "$topic" --num-records "$records" --record-size 1024 --throughput -1 \
        --print-metrics --command-property bootstrap.servers=127.0.0.1:$port acks=all batch.size=16384 linger.ms=5 enable.idempotence=$idem $props \
        > "$work/out" 2>&1 || { echo "perf-test failed:"; tail -5 "$work/out"; }
      python3 "$root/bench/thread-cpu.py" snap "$pid" > "$work/after.json"
      load="$(cut -d' ' -f1 /proc/loadavg)"
      summary="$(grep 'records sent' "$work/out" | tail -1)"
      rate="$(sed -E 's/.*records sent, ([0-9.]+) records\/sec \(([0-9.]+) MB\/sec\), ([0-9.]+) ms avg.* ([0-9]+) ms 99th.*/\1 \3 \4/' <<< "$summary")"
      metric() { awk -v k="producer-metrics:$1:" '$1 ~ "^" k { print $NF; exit }' "$work/out"; }
      m="$(printf '%.2f %.1f %.2f %.2f %.0f' "$(metric request-latency-avg)" "$(metric records-per-request-avg)" "$(metric requests-in-flight)" "$(metric record-queue-time-avg)" "$(metric batch-size-avg)")"
      cpu="$(python3 "$root/bench/thread-cpu.py" diff "$work/before.json" "$work/after.json" "$mb")"
      client="$(awk '/^client_cpu/ { printf "%.2f", $2 + $3 }' "$work/time")"
      echo "$round $label $idem $rate | $m | client_cpu=${client}s ($(awk -v c="$client" -v m="$mb" 'BEGIN { printf "%.2f", c / m * 1000 }') s/GB) | $cpu | $load"
      [ -n "${KEEP_OUT:-}" ] && cp "$work/out" "$KEEP_OUT/$label-$round-$idem.txt"
      if [ "$target" != kafka ]; then kill "$pid"; wait "$pid" 2>/dev/null || true; rm -rf "$data"; fi
    done
  done
done
