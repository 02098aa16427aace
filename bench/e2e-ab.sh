#!/usr/bin/env bash
# e2e latency at a fixed rate, old tree against new tree against Apache Kafka, alternating, one fresh
# broker per run, the new tree's generator for all (issue 18). Each run takes the bench lock on its
# own (a run is ~20 s). Per run: e2e and produce p50/p95/p99, the broker main thread's major GCs
# (from /metrics) and the 1-minute load average. Usage:
#   bench/e2e-ab.sh --old DIR --new DIR [--rounds 3] [--duration 10s] [--rate 10000] [--port 26001] [--no-kafka]
# DIR: a tree with node_modules (git worktree add /tmp/old <commit>). Kafka needs KAFKA_DIST_DIR.
set -euo pipefail
old="" new="" rounds=3 duration=10s rate=10000 port=26001 kafka=1
while [ $# -gt 0 ]; do
  case "$1" in
    --old) old="$2"; shift 2 ;;
    --new) new="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --rate) rate="$2"; shift 2 ;;
    --port) port="$2"; shift 2 ;;
    --no-kafka) kafka=0; shift ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
[ -n "$old" ] && [ -n "$new" ] || { echo "usage: bench/e2e-ab.sh --old DIR --new DIR" >&2; exit 2; }
out="$(mktemp -d)"
http=$((port + 1)) kport=$((port + 10))
echo "results in $out"

report() { # name json
  node -e '
    const [name, file, load, gcs] = process.argv.slice(1);
    const r = JSON.parse(require("fs").readFileSync(file, "utf8"));
    const e = r.endToEnd.latency, p = r.produce.latency;
    console.log(`${name} | e2e p50 ${e.p50Ms} p95 ${e.p95Ms} p99 ${e.p99Ms} | produce p99 ${p.p99Ms} | major GCs ${gcs} | load ${load}`);
  ' "$1" "$2" "$(cut -d' ' -f1 /proc/loadavg)" "${3:--}"
}

gen() { # tag
  node "$new/bench/cli.ts" e2e -b "127.0.0.1:$port" -t e2e -r "$rate" -d "$duration" --progress-interval 0 --json "$out/$1.json" >/dev/null
}

run_highwater() { # name dir round
  local tag="$1-$3" data="$out/data-$1-$3"
  (cd "$2" && exec node src/cli/main.ts start --fsync never --shards 1 --port "$port" --http-port "$http" --data-dir "$data" --log-level warn >"$out/$tag.log" 2>&1) &
  local pid=$!
  for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
  local before after
  before=$(curl -s "127.0.0.1:$http/metrics" | awk '/^highwater_nodejs_gc_duration_seconds_count\{kind="major"\}/ {print $2}')
  gen "$tag"
  after=$(curl -s "127.0.0.1:$http/metrics" | awk '/^highwater_nodejs_gc_duration_seconds_count\{kind="major"\}/ {print $2}')
  kill "$pid"; wait "$pid" 2>/dev/null || true
  rm -rf "$data"
  report "$tag" "$out/$tag.json" "$(( ${after:-0} - ${before:-0} ))"
}

run_kafka() { # round
  local data="$out/data-kafka-$1"
  bash "$new/bench/kafka/start.sh" --port "$port" --controller-port "$((kport + 1))" --data-dir "$data" --heap 512m >"$out/kafka-$1.log" 2>&1
  gen "kafka-$1" || true
  bash "$new/bench/kafka/stop.sh" --data-dir "$data" >/dev/null 2>&1 || true
  rm -rf "$data"
  report "kafka-$1" "$out/kafka-$1.json"
}

for round in $(seq "$rounds"); do
  if [ $((round % 2)) = 1 ]; then order="old new"; else order="new old"; fi
  for name in $order; do
    if [ "$name" = old ]; then flock /tmp/highwater-bench.lock bash -c "$(declare -f run_highwater gen report); out=$out port=$port http=$http new=$new rate=$rate duration=$duration; run_highwater old $old $round"
    else flock /tmp/highwater-bench.lock bash -c "$(declare -f run_highwater gen report); out=$out port=$port http=$http new=$new rate=$rate duration=$duration; run_highwater new $new $round"; fi
  done
  if [ "$kafka" = 1 ]; then flock /tmp/highwater-bench.lock bash -c "$(declare -f run_kafka gen report); out=$out port=$port kport=$kport new=$new rate=$rate duration=$duration; run_kafka $round"; fi
done
