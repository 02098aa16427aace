#!/usr/bin/env bash
# Issue 18's produce workload with Kafka's own producer, alternating brokers in one run: for each
# round, each partition count and each target, a fresh topic, kafka-producer-perf-test (1 KiB,
# acks as given, batch.size 16384, linger.ms 5, unthrottled), and the broker's CPU seconds per MB
# produced, per thread group (bench/thread-cpu.py snapshots before and after; its s/GB is per 1,000 MB), beside the load average.
#   bench/produce-many/perf-rounds.sh --trees "OLD_TREE NEW_TREE" [--kafka] [--counts "8 1000"]
#     [--records 500000] [--rounds 2] [--base-port 27100] [--acks 1] [--props "enable.idempotence=false"]
#     [--fsync never] [--lock /tmp/highwater-bench.lock]
# A tree is a Highwater source tree (its own node_modules or a symlink); each target runs on its own
# broker, started fresh per round and count (Kafka once per run). Each perf-test run takes the
# bench lock on its own, so no single hold is long.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
source "$root/bench/kafka/common.sh"
trees="$root"; with_kafka=0; counts="8 1000"; records=500000; rounds=2; base=27100; acks=1; props=""; fsync=never
lock=/tmp/highwater-bench.lock
while [ $# -gt 0 ]; do
  case "$1" in
    --trees) trees="$2"; shift 2 ;;
    --kafka) with_kafka=1; shift ;;
    --counts) counts="$2"; shift 2 ;;
    --records) records="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --base-port) base="$2"; shift 2 ;;
    --acks) acks="$2"; shift 2 ;;
    --props) props="$2"; shift 2 ;;
    --fsync) fsync="$2"; shift 2 ;;
    --lock) lock="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
export PATH="$root/node_modules/.bin:$PATH"
hw_port=$base; hw_http=$((base + 1)); kafka_port=$((base + 10)); kafka_controller=$((base + 11))
work="$(mktemp -d "${TMPDIR:-/tmp}/produce-many-XXXX")"
kafka_dir="$work/kafka"

start_hw() { # tree data-dir -> pid
  node "$1/src/cli/main.ts" start --port "$hw_port" --http-port "$hw_http" --data-dir "$2" --fsync "$fsync" --log-level warn > "$2.log" 2>&1 &
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
echo "# records=$records acks=$acks fsync=$fsync props='$props' counts='$counts' rounds=$rounds"
echo "# round count target rec/s MB/s avg_ms p99_ms load1 | broker CPU: total and per thread group (s, s/GB of 1,000 MB)"
n=0
for round in $(seq 1 "$rounds"); do
  for count in $counts; do
    for target in $targets; do
      n=$((n + 1))
      topic="pm-$round-$count-$n"
      if [ "$target" = kafka ]; then
        pid="$kafka_pid"; port="$kafka_port"; label=kafka
      else
        data="$work/hw-$n"; mkdir -p "$data"
        pid="$(start_hw "$target" "$data")"; port="$hw_port"; label="$(basename "$target")"
      fi
      node "$root/src/cli/main.ts" topics create "$topic" -p "$count" -b "127.0.0.1:$port" > /dev/null
      python3 "$root/bench/thread-cpu.py" snap "$pid" > "$work/before"
      # shellcheck disable=SC2086
      out="$(flock "$lock" bash "$root/bench/kafka/perf-test.sh" --topic "$topic" --num-records "$records" --record-size 1024 --throughput -1 \
        --producer-props bootstrap.servers=127.0.0.1:$port acks=$acks batch.size=16384 linger.ms=5 $props 2>&1 | tail -1)"
      python3 "$root/bench/thread-cpu.py" snap "$pid" > "$work/after"
      load="$(cut -d' ' -f1 /proc/loadavg)"
      # "500000 records sent, 123456.7 records/sec (120.56 MB/sec), 12.3 ms avg latency, 456.0 ms max latency, 10 ms 50th, 20 ms 95th, 30 ms 99th, 40 ms 99.9th."
      rate="$(sed -E 's/.*records sent, ([0-9.]+) records\/sec \(([0-9.]+) MB\/sec\), ([0-9.]+) ms avg.* ([0-9]+) ms 99th.*/\1 \2 \3 \4/' <<< "$out")"
      mb="$(awk -v r="$records" 'BEGIN { print r * 1024 / 1000000 }')"
      echo "$round $count $label $rate $load | $(python3 "$root/bench/thread-cpu.py" diff "$work/before" "$work/after" "$mb")"
      if [ "$target" != kafka ]; then kill "$pid"; wait "$pid" 2>/dev/null || true; rm -rf "$data"; fi
    done
  done
done
