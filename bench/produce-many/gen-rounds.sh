#!/usr/bin/env bash
# Our generator's produce workload (1 KiB, acks=1, batch.size 16384, one producer thread) against
# old and new trees, alternating in one run, at each partition count: for each round, each count
# and each tree (the order flips every round), a fresh broker (--fsync never, one shard), a fresh
# topic, `bench produce` from the NEW tree under the bench lock, and the broker's CPU seconds per MB
# per thread (from /proc/<pid>/task/*/stat around the run), beside the load average.
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

threads() { for f in /proc/"$1"/task/*/stat; do awk '{ s = $0; sub(/^[0-9]+ \(/, "", s); comm = substr(s, 1, index(s, ") ") - 1); sub(/^.*\) /, "", s); split(s, a, " "); print FILENAME, comm, a[12] + a[13] }' "$f" 2>/dev/null; done | sed 's#/proc/[0-9]*/task/\([0-9]*\)/stat#\1#'; }
cpu_delta() { # before after MB -> "total per_MB name=secs ..."
  python3 - "$1" "$2" "$3" <<'PY'
import sys, os
tick = os.sysconf('SC_CLK_TCK')
def load(p):
    out = {}
    for line in open(p):
        head, ticks = line.rsplit(' ', 1)
        tid, comm = head.split(' ', 1)
        out[tid] = (comm, int(ticks))
    return out
a, b, mb = load(sys.argv[1]), load(sys.argv[2]), float(sys.argv[3])
by = {}
for tid, (comm, t) in b.items():
    by[comm] = by.get(comm, 0) + t - a.get(tid, (comm, 0))[1]
total = sum(by.values()) / tick
main = by.get('MainThread', 0) / tick
top = sorted(by.items(), key=lambda kv: -kv[1])[:4]
print(f"{total:.2f} {total / mb * 1024:.2f} {main / mb * 1024:.2f} " + ' '.join(f"{k.replace(' ', '_')}={v / tick:.2f}" for k, v in top if v > 0))
PY
}

echo "# duration=$duration counts='$counts' rounds=$rounds old=$old new=$new"
echo "# round count tree rec/s MB/s p99_ms broker_cpu_s cpu_s_per_GB main_cpu_s_per_GB load1 | threads"
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
      threads "$pid" > "$work/before"
      flock "$lock" node "$new/src/cli/main.ts" bench produce -b "127.0.0.1:$port" -t "$topic" --no-create-topic \
        --duration "$duration" --warmup 2s --progress-interval 0 --json "$work/r.json" > /dev/null
      threads "$pid" > "$work/after"
      load="$(cut -d' ' -f1 /proc/loadavg)"
      read -r rate mbs p99 mb <<< "$(node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); const p = r.produce; console.log(Math.round(p.recordsPerSec), p.mbPerSec.toFixed(1), p.latency.p99Ms, (p.mbPerSec * p.durationMs / 1000).toFixed(1))' "$work/r.json")"
      cpu="$(cpu_delta "$work/before" "$work/after" "$mb")"
      read -r total per_gb main_gb rest <<< "$cpu"
      echo "$round $count $label $rate $mbs $p99 $total $per_gb $main_gb $load | $rest"
      kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
    done
  done
done
