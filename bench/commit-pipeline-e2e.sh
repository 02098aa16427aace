#!/usr/bin/env bash
# e2e at 10,000 rec/s, 8 partitions (`highwater bench e2e`), an older build against this one, both
# --fsync always, alternating, each broker started fresh on its own data dir. Run it under the bench
# lock:  flock /tmp/highwater-bench.lock bench/commit-pipeline-e2e.sh OLD_DIR [ROUNDS] [BASE_PORT]
# (OLD_DIR: a checkout of the old commit with node_modules, e.g. git archive <commit> | tar -x -C DIR).
set -u
old_dir="$1"; rounds="${2:-3}"; base_port="${3:-25420}"
here="$(cd "$(dirname "$0")/.." && pwd)"
cd "$here" && export PATH=$PWD/node_modules/.bin:$PATH UV_THREADPOOL_SIZE=16
start() { # dir port
  rm -rf "/tmp/commit-pipeline-e2e-$2"
  (cd "$1" && exec node src/cli/main.ts start --port "$2" --http-port -1 --data-dir "/tmp/commit-pipeline-e2e-$2" --fsync always --log-level warn > "/tmp/commit-pipeline-e2e-$2.log" 2>&1) &
  broker_pid=$!
  for _ in $(seq 1 100); do (echo > "/dev/tcp/127.0.0.1/$2") 2>/dev/null && break; sleep 0.2; done
}
stop() { kill -TERM "$broker_pid"; wait "$broker_pid" 2>/dev/null; rm -rf "/tmp/commit-pipeline-e2e-$1"; }
for round in $(seq 1 "$rounds"); do
  for which in old new; do
    if [ "$which" = old ]; then dir="$old_dir"; port=$((base_port + 1)); else dir="$here"; port=$((base_port + 2)); fi
    start "$dir" "$port"
    echo "round $round $which load $(cut -d' ' -f1-3 /proc/loadavg)"
    node bench/cli.ts e2e -b "127.0.0.1:$port" -t "e2e-$round" -p 8 -r 10000 -d 6s --warmup 2s --progress-interval 0 2>&1 | grep -E "produce latency|produce→consume"
    stop "$port"
  done
done
