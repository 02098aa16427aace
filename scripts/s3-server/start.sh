#!/usr/bin/env bash
# Starts a SeaweedFS S3 server (`weed server -s3`: master, volume server, filer and S3 gateway in
# one process) on 127.0.0.1, with static test-only credentials, creates the bucket and waits until
# the bucket answers. The process runs in the background; stop it with stop.sh --data-dir DIR.
# Starting again on the same data dir keeps every object (the outage and restart tests rely on it).
#
#   scripts/s3-server/start.sh --port 22100 --data-dir /tmp/s3 [--bucket highwater]
#       [--access-key K --secret-key S] [--max-volumes 32] [--volume-size-mb 64] [--weed PATH]
#
# It uses 8 consecutive ports: P is S3; P+1..P+7 are the master (http, grpc), the volume server
# (http, grpc), the filer (http, grpc) and the S3 gateway's grpc. On success it prints
#   endpoint=http://127.0.0.1:P bucket=B access_key=K secret_key=S pid=N
# The credentials are fixed test strings, not secrets: the server only listens on 127.0.0.1.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

port=""
data_dir=""
bucket=highwater
access_key=${HIGHWATER_S3_ACCESS_KEY:-highwater-test}
secret_key=${HIGHWATER_S3_SECRET_KEY:-highwater-test-secret}
max_volumes=32
volume_size_mb=64
weed=${HIGHWATER_WEED:-}
ready_timeout=90

while [ $# -gt 0 ]; do
  case "$1" in
    --port) port=$2; shift 2 ;;
    --data-dir) data_dir=$2; shift 2 ;;
    --bucket) bucket=$2; shift 2 ;;
    --access-key) access_key=$2; shift 2 ;;
    --secret-key) secret_key=$2; shift 2 ;;
    --max-volumes) max_volumes=$2; shift 2 ;;
    --volume-size-mb) volume_size_mb=$2; shift 2 ;;
    --weed) weed=$2; shift 2 ;;
    --ready-timeout) ready_timeout=$2; shift 2 ;;
    *) echo "start.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -n "$port" ] && [ -n "$data_dir" ] || { echo "usage: start.sh --port P --data-dir DIR [--bucket B]" >&2; exit 2; }
case "$port" in *[!0-9]*) echo "start.sh: --port must be a number" >&2; exit 2 ;; esac

if [ -z "$weed" ]; then
  weed=$("$here/install.sh")
fi
[ -x "$weed" ] || { echo "start.sh: no weed binary at $weed (run scripts/s3-server/install.sh)" >&2; exit 1; }

mkdir -p "$data_dir"
data_dir=$(cd "$data_dir" && pwd)
pid_file=$data_dir/weed.pid
if [ -f "$pid_file" ] && kill -0 "$(cat "$pid_file")" 2>/dev/null; then
  echo "start.sh: a SeaweedFS is already running on $data_dir (pid $(cat "$pid_file"))" >&2
  exit 1
fi

# One identity with every action on every bucket; SeaweedFS reads this at start.
cat >"$data_dir/s3.json" <<JSON
{
  "identities": [
    {
      "name": "highwater",
      "credentials": [{ "accessKey": "$access_key", "secretKey": "$secret_key" }],
      "actions": ["Admin", "Read", "List", "Tagging", "Write"]
    }
  ]
}
JSON

# setsid: the server outlives this script and is not hit by the caller's terminal signals.
# Telemetry is off (no traffic leaves 127.0.0.1); the Iceberg and Lance endpoints are off;
# volumes are small and few so an idle server stays near 100 MB of memory.
setsid "$weed" server \
  -ip=127.0.0.1 -ip.bind=127.0.0.1 -dir="$data_dir" \
  -master.port=$((port + 1)) -master.port.grpc=$((port + 2)) \
  -master.volumeSizeLimitMB="$volume_size_mb" -master.telemetry=false \
  -volume.port=$((port + 3)) -volume.port.grpc=$((port + 4)) \
  -volume.max="$max_volumes" -volume.preStopSeconds=0 \
  -filer -filer.port=$((port + 5)) -filer.port.grpc=$((port + 6)) \
  -s3 -s3.port="$port" -s3.port.grpc=$((port + 7)) -s3.port.iceberg=0 -s3.port.lance=0 \
  -s3.config="$data_dir/s3.json" \
  >>"$data_dir/weed.log" 2>&1 </dev/null &
pid=$!
echo "$pid" >"$pid_file"

# Ready when an authenticated CreateBucket answers: 200 (created) or 409 (already ours, on a
# restart). Until the filer is up the gateway refuses connections or answers 5xx.
endpoint=http://127.0.0.1:$port
deadline=$(( $(date +%s) + ready_timeout ))
while :; do
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "start.sh: SeaweedFS exited during start; last lines of $data_dir/weed.log:" >&2
    tail -n 20 "$data_dir/weed.log" >&2
    rm -f "$pid_file"
    exit 1
  fi
  code=$(curl -s -o /dev/null -w '%{http_code}' -X PUT --max-time 5 \
    --aws-sigv4 "aws:amz:us-east-1:s3" --user "$access_key:$secret_key" "$endpoint/$bucket" || true)
  if [ "$code" = 200 ] || [ "$code" = 409 ]; then
    break
  fi
  if [ "$(date +%s)" -ge "$deadline" ]; then
    echo "start.sh: SeaweedFS not ready after ${ready_timeout} s (last answer $code); see $data_dir/weed.log" >&2
    kill "$pid" 2>/dev/null || true
    rm -f "$pid_file"
    exit 1
  fi
  sleep 0.3
done

echo "endpoint=$endpoint bucket=$bucket access_key=$access_key secret_key=$secret_key pid=$pid"
