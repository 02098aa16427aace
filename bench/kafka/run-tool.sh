#!/usr/bin/env bash
# Runs one of Kafka's tools from the fetched kafka-tools jars: run-tool.sh <class> <its args>
# e.g. run-tool.sh org.apache.kafka.tools.ConsumerPerformance --bootstrap-server 127.0.0.1:9093 \
#        --topic t --num-records 100000 --group perf
# (kafka-run-class.sh without the distribution's bin/ folder, which is not fetched.)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
if [ ! -f "$KAFKA_TOOLS_LIBS_DIR/kafka-tools-$KAFKA_TOOLS_VERSION.jar" ]; then
  echo "kafka-tools is not fetched: run bench/kafka/fetch.sh first" >&2
  exit 2
fi
class="$1"; shift
exec "$(kafka_java)" -Xmx512m -Dlog4j2.level=WARN -Dlog4j2.rootLevel=WARN \
  -cp "$KAFKA_TOOLS_LIBS_DIR/*" "$class" "$@"
