#!/usr/bin/env bash
# Transactional produce throughput (docs/notes/transactions-bench.md): the Java client's
# idempotent producer against the same producer in transactions of 100 and of 10,000 records,
# 1 KiB records, acks=all, on Highwater (--fsync never, as Kafka does not fsync per write) and on
# Apache Kafka 4.4 (bench/kafka, KRaft single node), both running the whole time, the brokers
# alternating run by run and the broker order flipping every round. Each run is count-bound
# (--records, default 50,000 = 50 MiB) and time-bound (timeout 180 s). Usage:
#   bench/transactions.sh [--rounds 2] [--records 50000] [--port 19710]
# Needs scripts/install-compat-clients.sh (the Java driver: test/compat/java/run-class.sh TxnBench)
# and KAFKA_DIST_DIR or bench/kafka/fetch.sh. Prints one line per run and the per-case medians.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=2 records=50000 port=19710
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds="$2"; shift 2 ;;
    --records) records="$2"; shift 2 ;;
    --port) port="$2"; shift 2 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
kafka_port=$port controller_port=$((port + 1)) hw_port=$((port + 2))
out="$(mktemp -d)"
hw_pid=""
cleanup() {
  [ -n "$hw_pid" ] && kill "$hw_pid" 2>/dev/null || true
  bash bench/kafka/stop.sh --data-dir "$out/kafka" >/dev/null 2>&1 || true
  rm -rf "$out/kafka" "$out/hw"
}
trap cleanup EXIT

echo "load before: $(uptime)"
bash bench/kafka/start.sh --port "$kafka_port" --controller-port "$controller_port" --data-dir "$out/kafka" --heap 512m | tail -1
node src/cli/main.ts start --fsync never --port "$hw_port" --http-port 0 --data-dir "$out/hw" --num-partitions 3 >"$out/hw.log" 2>&1 &
hw_pid=$!
for _ in $(seq 300); do (exec 3<>"/dev/tcp/127.0.0.1/$hw_port") 2>/dev/null && break; sleep 0.1; done

results="$out/results.txt"
: >"$results"
run=0
for round in $(seq "$rounds"); do
  if [ $((round % 2)) = 1 ]; then order="kafka highwater"; else order="highwater kafka"; fi
  for case in idempotent txn100 txn10000; do
    for broker in $order; do
      run=$((run + 1))
      if [ "$broker" = kafka ]; then bootstrap="127.0.0.1:$kafka_port"; else bootstrap="127.0.0.1:$hw_port"; fi
      case "$case" in
        idempotent) args=(idempotent "$records" 1024) ;;
        txn100) args=(transactional "$records" 1024 100) ;;
        txn10000) args=(transactional "$records" 1024 10000) ;;
      esac
      topic="txbench-$round-$case-$run"
      if line="$(timeout 180 test/compat/java/run-class.sh TxnBench "$bootstrap" "$topic" "${args[@]}" 2>"$out/run-$run.err" | tail -1)" \
          && [[ "$line" == \{* ]]; then
        echo "$round $broker $case $line" | tee -a "$results"
      else
        echo "$round $broker $case FAILED: $(grep -m1 -E 'Exception|Error' "$out/run-$run.err" | cut -c1-240)" | tee -a "$results"
      fi
    done
  done
done
echo "load after: $(uptime)"

# Median records/s per broker and case, then highwater/kafka and transactional/idempotent ratios.
node -e '
const lines = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n");
const by = {};
for (const line of lines) {
  const [, broker, c, ...rest] = line.split(" ");
  const json = rest.join(" ");
  if (!json.startsWith("{")) continue;
  (by[`${broker} ${c}`] ??= []).push(JSON.parse(json).recordsPerSec);
}
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const get = (k) => (by[k] ? median(by[k]) : NaN);
console.log("median records/s (1 KiB records, acks=all):");
for (const c of ["idempotent", "txn100", "txn10000"]) {
  const k = get(`kafka ${c}`), h = get(`highwater ${c}`);
  console.log(`  ${c.padEnd(10)} kafka ${k.toFixed(0).padStart(7)}  highwater ${h.toFixed(0).padStart(7)}  highwater/kafka ${(h / k).toFixed(2)}`);
}
for (const b of ["kafka", "highwater"]) {
  console.log(`  ${b}: txn100/idempotent ${(get(`${b} txn100`) / get(`${b} idempotent`)).toFixed(2)}, txn10000/idempotent ${(get(`${b} txn10000`) / get(`${b} idempotent`)).toFixed(2)}`);
}
' "$results"
