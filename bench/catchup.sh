#!/usr/bin/env bash
# Catch-up consume, old Highwater against new Highwater against Apache Kafka, alternating in one
# run (issue 18). Each broker is started once and its topic filled once (8 partitions, 1 KiB
# records, --fsync never for Highwater, Kafka's default page-cache flush policy); every broker's
# files are then in the page cache, having just been written (the machine has RAM for all three
# copies: check the "cached" column printed after the fills). Then, for each round (the order of
# the brokers rotates every round), each broker is read from offset 0 by
# kafka-consumer-perf-test (a fresh consumer group per run, default fetch settings) and by our
# `highwater bench consume` (partition assignment, no group). Prints MB/s per run and the ratios;
# "broker cores" is the broker process's CPU over the perf-test run (JVM start and group join included).
# Under each run, the broker's CPU seconds per thread group over it (bench/thread-cpu.py: main, the V8
# GC helpers, libuv's pool, shards, the sendfile thread hw-sendfile; Kafka's JVM threads), also per GB.
# Usage:
#   KAFKA_DIST_DIR=... bench/catchup.sh --old DIR --new DIR [--records 2000000] [--rounds 3]
#     [--port-base 23000] [--no-bench-consume] [--lock /tmp/highwater-bench.lock] [--bench-args "--consumers 2"]
# --lock: the starts and fills run outside it; each round (every broker's runs) holds it (flock).
# Make the old DIR with `git worktree add --detach /tmp/old <commit>` and link node_modules into it.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
old="" new="" records=2000000 rounds=3 port_base=23000 bench_consume=1 lock="" bench_args=""
while [ $# -gt 0 ]; do
  case "$1" in
    --old) old="$2"; shift 2 ;;
    --new) new="$2"; shift 2 ;;
    --records) records="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --port-base) port_base="$2"; shift 2 ;;
    --no-bench-consume) bench_consume=0; shift ;;
    --lock) lock="$2"; shift 2 ;;
    --bench-args) bench_args="$2"; shift 2 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
[ -n "$old" ] && [ -n "$new" ] || { echo "usage: bench/catchup.sh --old DIR --new DIR" >&2; exit 2; }
source "$here/kafka/common.sh"
out="$(mktemp -d /tmp/catchup.XXXXXX)"
topic=catchup
declare -A port=([old]=$((port_base + 1)) [new]=$((port_base + 2)) [kafka]=$((port_base + 10)))
declare -A pid=()
cleanup() {
  for b in old new; do [ -n "${pid[$b]:-}" ] && kill "${pid[$b]}" 2>/dev/null || true; done
  bash "$here/kafka/stop.sh" --data-dir "$out/kafka" >/dev/null 2>&1 || true
  sleep 1; rm -rf "$out/old" "$out/new" "$out/kafka/kraft-logs"
}
trap cleanup EXIT
wait_port() { for _ in $(seq 200); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; echo "port $1 never opened" >&2; return 1; }

for b in old new; do
  dir="${!b}"
  (cd "$dir" && exec node src/cli/main.ts start --fsync never --group-initial-rebalance-delay-ms 0 --port "${port[$b]}" --http-port -1 --data-dir "$out/$b" >"$out/$b.log" 2>&1) &
  pid[$b]=$!
  wait_port "${port[$b]}"
done
bash "$here/kafka/start.sh" --port "${port[kafka]}" --controller-port $((port_base + 11)) --data-dir "$out/kafka" --heap 1g >"$out/kafka-start.log" 2>&1
wait_port "${port[kafka]}"

gen=(node "$new/bench/cli.ts")
for b in old new kafka; do
  "${gen[@]}" produce -b "127.0.0.1:${port[$b]}" -t "$topic" -p 8 -n "$records" --progress-interval 0 --json "$out/fill-$b.json" >/dev/null
  node -e 'const r=require(process.argv[1]).produce; console.log(`fill ${process.argv[2]}: ${Math.round(r.recordsPerSec)} rec/s, ${r.mbPerSec.toFixed(1)} MB/s`)' "$out/fill-$b.json" "$b"
done
sync
echo "page cache after the fills: $(free -m | awk '/Mem:/ {print $6}') MiB buff/cache; data: $(du -sm "$out/old" "$out/new" "$out/kafka" | awk '{printf "%s %s MiB; ", $2, $1}')"

perf_consume() { # broker round -> MB/s
  "$(kafka_java)" -Xmx512m -Dlog4j2.level=WARN -Dlog4j2.rootLevel=WARN -cp "$KAFKA_TOOLS_LIBS_DIR/*" \
    org.apache.kafka.tools.ConsumerPerformance --bootstrap-server "127.0.0.1:${port[$1]}" --topic "$topic" \
    --num-records "$records" --group "catchup-$1-$2-$RANDOM" --timeout 60000 2>"$out/perf-$1-$2.err" >"$out/perf-$1-$2.out"
  # start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec,
  # rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec: MB.sec counts the group join,
  # fetch.MB.sec does not. Both are printed; the ratios use fetch.MB.sec.
  tail -1 "$out/perf-$1-$2.out" | awk -F', *' 'NF >= 9 {printf "%.1f %.1f %.1f\n", $9, $4, $3; next} {print "0 0 0"}'
}
bench_consume() {
  # shellcheck disable=SC2086
  if "${gen[@]}" consume -b "127.0.0.1:${port[$1]}" -t "$topic" $bench_args --progress-interval 0 --json "$out/bench-$1-$2.json" >"$out/bench-$1-$2.out" 2>&1; then
    node -e 'console.log(require(process.argv[1]).consume.mbPerSec.toFixed(1))' "$out/bench-$1-$2.json"
  else
    echo "failed (see $out/bench-$1-$2.out)"
  fi
}
pid_of() { if [ "$1" = kafka ]; then cat "$out/kafka/kafka.pid"; else echo "${pid[$1]}"; fi; }
cpu_of() { # broker -> utime+stime ticks of its process
  awk '{print $14 + $15}' "/proc/$(pid_of "$1")/stat"
}

declare -A perf=() bench=()
order=(old new kafka)
echo "round | broker | perf-test fetch.MB.sec | perf-test MB.sec (with the group join) | broker cores | bench consume MB/s"
for round in $(seq "$rounds"); do
  if [ -n "$lock" ]; then exec {lockfd}>"$lock"; flock "$lockfd"; fi
  for b in "${order[@]}"; do
    python3 "$here/thread-cpu.py" snap "$(pid_of "$b")" >"$out/threads-$b-$round.0"
    c0=$(cpu_of "$b"); t0=$(date +%s.%N)
    read -r fetch_mb whole_mb data_mb < <(perf_consume "$b" "$round")
    python3 "$here/thread-cpu.py" snap "$(pid_of "$b")" >"$out/threads-$b-$round.1"
    perf[$b,$round]=$fetch_mb
    c1=$(cpu_of "$b"); t1=$(date +%s.%N)
    cores=$(awk -v c="$((c1 - c0))" -v t="$(echo "$t1 - $t0" | bc)" 'BEGIN {printf "%.2f", c / 100 / t}')
    bench[$b,$round]=-
    [ "$bench_consume" = 1 ] && bench[$b,$round]=$(bench_consume "$b" "$round")
    echo "$round | $b | ${perf[$b,$round]} | $whole_mb | $cores | ${bench[$b,$round]}"
    echo "  $b threads over the perf-test run ($data_mb MB, load $(cut -d' ' -f1-3 /proc/loadavg)): $(python3 "$here/thread-cpu.py" diff "$out/threads-$b-$round.0" "$out/threads-$b-$round.1" "$data_mb")"
  done
  order=("${order[@]:1}" "${order[0]}")
  if [ -n "$lock" ]; then flock -u "$lockfd"; exec {lockfd}>&-; fi
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.2f", a / b; else print "-"}'; }
for round in $(seq "$rounds"); do
  echo "round $round perf-test: new/kafka $(ratio "${perf[new,$round]}" "${perf[kafka,$round]}"), old/kafka $(ratio "${perf[old,$round]}" "${perf[kafka,$round]}"), new/old $(ratio "${perf[new,$round]}" "${perf[old,$round]}")"
  [ "$bench_consume" = 1 ] && echo "round $round bench consume: new/kafka $(ratio "${bench[new,$round]}" "${bench[kafka,$round]}"), new/old $(ratio "${bench[new,$round]}" "${bench[old,$round]}")"
done
echo "raw output: $out"
