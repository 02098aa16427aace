#!/usr/bin/env bash
# Stops a broker started by start.sh: SIGTERM (Kafka's controlled shutdown), then SIGKILL if it
# has not exited within the bound. Usage: stop.sh [--port 9093 | --data-dir DIR] [--timeout 30]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

port=9093 data_dir="" timeout_s=30
while [ $# -gt 0 ]; do
  case "$1" in
    --port) port="$2"; shift 2 ;;
    --data-dir) data_dir="$2"; shift 2 ;;
    --timeout) timeout_s="$2"; shift 2 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
data_dir="${data_dir:-$(kafka_default_data_dir "$port")}"
pid_file="$data_dir/kafka.pid"
if [ ! -f "$pid_file" ]; then
  echo "not running (no $pid_file)"
  exit 0
fi
pid="$(cat "$pid_file")"
if ! kill -0 "$pid" 2>/dev/null; then
  echo "not running (stale pid $pid)"
  rm -f "$pid_file"
  exit 0
fi
kill -TERM "$pid"
deadline=$(( $(date +%s) + timeout_s ))
while kill -0 "$pid" 2>/dev/null; do
  if [ "$(date +%s)" -ge "$deadline" ]; then
    echo "pid $pid still running after ${timeout_s}s: SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    break
  fi
  sleep 0.2
done
rm -f "$pid_file"
echo "stopped pid $pid"
