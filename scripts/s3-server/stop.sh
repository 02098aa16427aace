#!/usr/bin/env bash
# Stops the SeaweedFS that start.sh started on a data dir: SIGTERM, then SIGKILL after a grace
# period (or at once with --kill, to simulate a crash). The data dir is kept.
#
#   scripts/s3-server/stop.sh --data-dir DIR [--kill] [--grace-seconds 5]
set -euo pipefail

data_dir=""
signal=TERM
grace=5
while [ $# -gt 0 ]; do
  case "$1" in
    --data-dir) data_dir=$2; shift 2 ;;
    --kill) signal=KILL; shift ;;
    --grace-seconds) grace=$2; shift 2 ;;
    *) echo "stop.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -n "$data_dir" ] || { echo "usage: stop.sh --data-dir DIR [--kill]" >&2; exit 2; }

pid_file=$data_dir/weed.pid
[ -f "$pid_file" ] || exit 0
pid=$(cat "$pid_file")
if kill -0 "$pid" 2>/dev/null; then
  kill -s "$signal" "$pid" 2>/dev/null || true
  deadline=$(( $(date +%s) + grace ))
  while kill -0 "$pid" 2>/dev/null; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      kill -s KILL "$pid" 2>/dev/null || true
    fi
    sleep 0.1
  done
fi
rm -f "$pid_file"
