#!/usr/bin/env bash
# Fetches Apache Kafka (broker + kafka-tools) and every runtime dependency from Maven Central into
# bench/kafka/.dist/, using the poms beside this script. Skips what is already there.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

fetch_into() {
  local pom="$1" out="$2" marker="$3"; shift 3
  if [ -f "$out/$marker" ]; then
    echo "present: $out/$marker"
    return
  fi
  rm -rf "$out"
  mvn -B -q -Dstyle.color=never -f "$KAFKA_BENCH_DIR/$pom" "$@" \
    dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$out"
  echo "fetched: $out ($(ls "$out" | wc -l) jars)"
}

fetch_into pom.xml "$KAFKA_LIBS_DIR" "kafka_2.13-$KAFKA_VERSION.jar" -Dkafka.version="$KAFKA_VERSION"
fetch_into pom-tools.xml "$KAFKA_TOOLS_LIBS_DIR" "kafka-tools-$KAFKA_TOOLS_VERSION.jar" \
  -Dkafka.tools.version="$KAFKA_TOOLS_VERSION"
# kafka-configs.sh (ConfigCommand) left the 4.4 broker jar; the tools test of
# test/compat/regressions/kafka-acl-and-quota-tools.test.ts runs it from the 4.3.1 broker jar, kept in
# the local Maven repository (the test skips itself without it).
mvn -B -q -Dstyle.color=never dependency:get -Dartifact="org.apache.kafka:kafka_2.13:$KAFKA_TOOLS_VERSION" -Dtransitive=false \
  || echo "kafka_2.13 $KAFKA_TOOLS_VERSION not fetched: the kafka-configs.sh test will be skipped" >&2
echo "Apache Kafka $KAFKA_VERSION (kafka-tools $KAFKA_TOOLS_VERSION), $("$(kafka_java)" -version 2>&1 | head -1)"
