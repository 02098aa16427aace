#!/usr/bin/env bash
# Starts Apache Kafka as a single KRaft node (broker+controller) on 127.0.0.1 in the background:
# the reference broker that Highwater's compatibility runs and benchmarks compare against.
# Usage: start.sh [--port 9093] [--controller-port PORT+1] [--data-dir DIR] [--heap 1g]
#                 [--partitions 3] [--timeout 90] [--request-log]
#                 [--listener-protocol SASL_SSL] [--extra-properties FILE] [--add-scram SPEC]
# --request-log writes every request header (API key, version, client id) to logs/requests.log:
# the way to see which API versions a client negotiates.
# --listener-protocol makes the client listener SSL, SASL_PLAINTEXT or SASL_SSL (named as its
# protocol); --extra-properties appends a file to server.properties (keystores, SASL settings);
# --add-scram creates a SCRAM user at format time (kafka-storage format --add-scram).
# Formats the data dir on first use only, so start.sh after stop.sh on the same dir is a restart.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

port=9093 controller_port="" data_dir="" heap=1g partitions=3 timeout_s=90 request_log=0
listener=PLAINTEXT extra_properties="" add_scram=()
while [ $# -gt 0 ]; do
  case "$1" in
    --port) port="$2"; shift 2 ;;
    --controller-port) controller_port="$2"; shift 2 ;;
    --data-dir) data_dir="$2"; shift 2 ;;
    --heap) heap="$2"; shift 2 ;;
    --partitions) partitions="$2"; shift 2 ;;
    --timeout) timeout_s="$2"; shift 2 ;;
    --request-log) request_log=1; shift ;;
    --listener-protocol) listener="$2"; shift 2 ;;
    --extra-properties) extra_properties="$2"; shift 2 ;;
    --add-scram) add_scram+=(--add-scram "$2"); shift 2 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
controller_port="${controller_port:-$((port + 1))}"
data_dir="${data_dir:-$(kafka_default_data_dir "$port")}"
kafka_require_libs
java_bin="$(kafka_java)"

mkdir -p "$data_dir/logs"
data_dir="$(cd "$data_dir" && pwd)"
pid_file="$data_dir/kafka.pid"
if [ -f "$pid_file" ] && kill -0 "$(cat "$pid_file")" 2>/dev/null; then
  echo "already running: pid $(cat "$pid_file") (data dir $data_dir)" >&2
  exit 1
fi

# Settings chosen for a fair comparison with a single-node Highwater: one replica everywhere,
# topics auto-created, no artificial delay before the first group rebalance. Kafka's default
# flush policy is kept (it leaves fsync to the OS page cache); compare with Highwater's --fsync.
properties="$data_dir/server.properties"
cat > "$properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$controller_port
listeners=$listener://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller_port
advertised.listeners=$listener://127.0.0.1:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=$listener
listener.security.protocol.map=CONTROLLER:PLAINTEXT,$listener:$listener
log.dirs=$data_dir/kraft-logs
num.partitions=$partitions
default.replication.factor=1
auto.create.topics.enable=true
delete.topic.enable=true
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
min.insync.replicas=1
group.initial.rebalance.delay.ms=0
PROPS

if [ -n "$extra_properties" ]; then cat "$extra_properties" >> "$properties"; fi

cat > "$data_dir/log4j2.properties" <<LOG
status = warn
appender.file.type = File
appender.file.name = file
appender.file.fileName = $data_dir/logs/server.log
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = file
logger.kafka.name = kafka
logger.kafka.level = INFO
logger.apache.name = org.apache.kafka
logger.apache.level = INFO
LOG
if [ "$request_log" = 1 ]; then
  cat >> "$data_dir/log4j2.properties" <<LOG
appender.requests.type = File
appender.requests.name = requests
appender.requests.fileName = $data_dir/logs/requests.log
appender.requests.layout.type = PatternLayout
appender.requests.layout.pattern = %m%n
logger.requests.name = kafka.request.logger
logger.requests.level = DEBUG
logger.requests.additivity = false
logger.requests.appenderRef.requests.ref = requests
LOG
fi

classpath="$KAFKA_LIBS_DIR/*"
jvm_opts=(-Xms"$heap" -Xmx"$heap" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true
  -Dlog4j2.configurationFile="$data_dir/log4j2.properties")
started_at=$(date +%s%N)

if [ ! -f "$data_dir/kraft-logs/meta.properties" ]; then
  cluster_id="$("$java_bin" -cp "$classpath" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -1)"
  "$java_bin" "${jvm_opts[@]}" -Xms64m -Xmx256m -cp "$classpath" kafka.tools.StorageTool format \
    -t "$cluster_id" -c "$properties" ${add_scram[@]+"${add_scram[@]}"} > "$data_dir/logs/format.log" 2>&1 \
    || { cat "$data_dir/logs/format.log" >&2; exit 1; }
fi

log_file="$data_dir/logs/server.log"
stdout_file="$data_dir/logs/stdout.log"
# A restart must not see the previous run's "started" line, so each run gets a fresh log.
for f in "$log_file" "$stdout_file"; do [ -f "$f" ] && mv -f "$f" "$f.prev"; done
# setsid: the broker must outlive this script and not get the caller's terminal signals.
setsid "$java_bin" "${jvm_opts[@]}" -cp "$classpath" kafka.Kafka "$properties" \
  > "$stdout_file" 2>&1 < /dev/null &
pid=$!
echo "$pid" > "$pid_file"

# The port opens before the broker has caught up with its metadata log, so wait for the log line
# that says it is serving, and for the port.
deadline=$(( $(date +%s) + timeout_s ))
while :; do
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "Kafka exited during start-up; last lines of $log_file and $stdout_file:" >&2
    tail -20 "$log_file" "$stdout_file" >&2 2>/dev/null || true
    rm -f "$pid_file"
    exit 1
  fi
  if grep -q "Kafka Server started" "$log_file" 2>/dev/null \
    && (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    break
  fi
  if [ "$(date +%s)" -ge "$deadline" ]; then
    echo "Kafka did not start within ${timeout_s}s; see $log_file" >&2
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$pid_file"
    exit 1
  fi
  sleep 0.2
done
elapsed_ms=$(( ($(date +%s%N) - started_at) / 1000000 ))
echo "Apache Kafka $KAFKA_VERSION started: pid $pid, 127.0.0.1:$port, ${elapsed_ms} ms, log $log_file"
