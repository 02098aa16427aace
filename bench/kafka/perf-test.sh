#!/usr/bin/env bash
# kafka-producer-perf-test from the fetched kafka-tools jars: perf-test.sh <ProducerPerformance args>
# e.g. perf-test.sh --topic t --num-records 100000 --record-size 100 --throughput -1 \
#        --producer-props bootstrap.servers=127.0.0.1:9093 acks=all
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
if [ ! -f "$KAFKA_TOOLS_LIBS_DIR/kafka-tools-$KAFKA_TOOLS_VERSION.jar" ]; then
  echo "kafka-tools is not fetched: run bench/kafka/fetch.sh first" >&2
  exit 2
fi
# The tool's own log4j output is noise next to its report; errors still reach stderr.
exec "$(kafka_java)" -Xmx512m -Dlog4j2.level=WARN -Dlog4j2.rootLevel=WARN \
  -cp "$KAFKA_TOOLS_LIBS_DIR/*" org.apache.kafka.tools.ProducerPerformance "$@"
