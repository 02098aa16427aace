#!/usr/bin/env bash
# Our generator's produce workload (1 KiB, acks=1, batch.size 16384, one producer thread) against
# old and new trees, alternating in one run, at each partition count: for each round, each count
# and each tree (the order flips every round), a fresh broker (--fsync never, one shard), a fresh
# topic, `bench produce` from the NEW tree under the bench lock, and the broker's CPU seconds per MB
# per thread (bench/thread-cpu.py snapshots around the run; its s/GB is per 1,000 MB), beside the
# load average.
#   bench/produce-many/gen-rounds.sh --trees "OLD_TREE NEW_TREE" [--counts "8 1000"] [--rounds 2]
#     [--duration 6s] [--base-port 27400] [--lock /tmp/highwater-bench.lock]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
trees=""; counts="8 1000"; rounds=2; duration=6s; base=27400; lock=/tmp/highwater-bench.lock
while [ $# -gt 0 ]; do
  case "$1" in
    --trees) trees="$2"; shift 2 ;;
    --counts) counts="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --base-port) base="$2"; shift 2 ;;
    --lock) lock="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
read -r old new <<< "$trees"
[ -n "${old:-}" ] && [ -n "${new:-}" ] || { echo 'usage: gen-rounds.sh --trees "OLD NEW"' >&2; exit 2; }
export PATH="$root/node_modules/.bin:$PATH"
port=$base; http=$((base + 1))
work="$(mktemp -d "${TMPDIR:-/tmp}/gen-rounds-XXXX")"
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT


echo "# duration=$duration counts='$counts' rounds=$rounds old=$old new=$new"
echo "# round count tree rec/s MB/s p99_ms load1 | broker CPU: total (s/GB) | per thread group (s/GB)"
for round in $(seq 1 "$rounds"); do
  order="$old $new"; [ $((round % 2)) = 0 ] && order="$new $old"
  for count in $counts; do
    for tree in $order; do
      label=old; [ "$tree" = "$new" ] && label=new
      data="$work/data"; rm -rf "$data"; mkdir -p "$data"
      (cd "$tree" && exec node src/cli/main.ts start --port "$port" --http-port "$http" --data-dir "$data" --fsync never --shards 1 --log-level warn > "$work/broker.log" 2>&1) &
      pid=$!
      for _ in $(seq 1 150); do curl -sf "http://127.0.0.1:$http/readyz" > /dev/null && break; sleep 0.2; done
      topic="gen-$round-$count"
      node "$root/src/cli/main.ts" topics create "$topic" -p "$count" -b "127.0.0.1:$port" > /dev/null
      python3 "$root/bench/thread-cpu.py" snap "$pid" > "$work/before"
      flock "$lock" node "$new/src/cli/main.ts" bench produce -b "127.0.0.1:$port" -t "$topic" --no-create-topic \
        --duration "$duration" --warmup 2s --progress-interval 0 --json "$work/r.json" > /dev/null
      python3 "$root/bench/thread-cpu.py" snap "$pid" > "$work/after"
      load="$(cut -d' ' -f1 /proc/loadavg)"
      read -r rate mbs p99 mb <<< "$(node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); const p = r.produce; console.log(Math.round(p.recordsPerSec), p.mbPerSec.toFixed(1), p.latency.p99Ms, (p.mbPerSec * p.durationMs / 1000).toFixed(1))' "$work/r.json")"
      echo "$round $count $label $rate $mbs $p99 $load | $(python3 "$root/bench/thread-cpu.py" diff "$work/before" "$work/after" "$mb")"
      kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
    done
  done
done
