#!/usr/bin/env bash
# The creation stall (issue 18 goal 3): produce at a fixed rate to an 8-partition topic while a
# topic of many partitions is created on the same shard, and print the producer's latency (max,
# p99.9) and how long CreateTopics took, for each tree in turn, alternating over rounds.
#   bench/produce-many/create-stall.sh --trees "OLD_TREE NEW_TREE" [--partitions 1000] [--rounds 2]
#     [--fsync always] [--rate 5000] [--base-port 27200]
# Run it under the bench lock: flock /tmp/highwater-bench.lock bench/produce-many/create-stall.sh ...
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
trees="$root"; partitions=1000; rounds=2; fsync=always; rate=5000; base=27200
while [ $# -gt 0 ]; do
  case "$1" in
    --trees) trees="$2"; shift 2 ;;
    --partitions) partitions="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --fsync) fsync="$2"; shift 2 ;;
    --rate) rate="$2"; shift 2 ;;
    --base-port) base="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
export PATH="$root/node_modules/.bin:$PATH"
port=$base; http=$((base + 1))
work="$(mktemp -d "${TMPDIR:-/tmp}/create-stall-XXXX")"
trap 'rm -rf "$work"' EXIT
echo "# partitions=$partitions fsync=$fsync rate=$rate/s; load $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq 1 "$rounds"); do
  for tree in $trees; do
    data="$work/data"; rm -rf "$data"; mkdir -p "$data"
    node "$tree/src/cli/main.ts" start --port "$port" --http-port "$http" --data-dir "$data" --fsync "$fsync" --log-level warn > "$work/broker.log" 2>&1 &
    pid=$!
    for _ in $(seq 1 150); do curl -sf "http://127.0.0.1:$http/readyz" > /dev/null && break; sleep 0.2; done
    node "$root/src/cli/main.ts" topics create steady -p 8 -b "127.0.0.1:$port" > /dev/null
    node "$root/src/cli/main.ts" bench produce -b "127.0.0.1:$port" --topic steady --rate "$rate" --duration 12s --warmup 1s --keep-topic \
      --progress-interval 0 > "$work/bench.out" 2>&1 &
    bench=$!
    sleep 4
    began=$(date +%s.%N)
    node "$root/src/cli/main.ts" topics create many -p "$partitions" -b "127.0.0.1:$port" --request-timeout 120s > /dev/null
    took=$(awk -v a="$began" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
    wait "$bench" || true
    latency="$(grep 'produce latency' "$work/bench.out" | sed 's/^ *//')"
    echo "round $round $(basename "$tree"): CreateTopics of $partitions took ${took}s; steady producer $latency"
    kill "$pid"; wait "$pid" 2>/dev/null || true
  done
done
