# Shared by fetch.sh, start.sh, stop.sh and perf-test.sh: where things live and how to find Java.
# Sourced, not executed.

KAFKA_BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
KAFKA_DIST_DIR="${KAFKA_DIST_DIR:-$KAFKA_BENCH_DIR/.dist}"
KAFKA_LIBS_DIR="$KAFKA_DIST_DIR/libs"
KAFKA_TOOLS_LIBS_DIR="$KAFKA_DIST_DIR/tools-libs"
# The newest 4.x whose broker artifacts are all on Maven Central; kafka-tools lags one release
# (its 4.4.0 jar is not published), so perf-test.sh runs the newest kafka-tools that is.
KAFKA_VERSION="${KAFKA_VERSION:-4.4.0}"
KAFKA_TOOLS_VERSION="${KAFKA_TOOLS_VERSION:-4.3.1}"

kafka_java() {
  if [ -n "${JAVA_HOME:-}" ]; then echo "$JAVA_HOME/bin/java"; else command -v java; fi
}

# Data dir of a broker started on a port, when the caller did not name one.
kafka_default_data_dir() {
  echo "${TMPDIR:-/tmp}/highwater-kafka-$1"
}

kafka_require_libs() {
  if [ ! -f "$KAFKA_LIBS_DIR/kafka_2.13-$KAFKA_VERSION.jar" ]; then
    echo "Kafka $KAFKA_VERSION is not fetched: run bench/kafka/fetch.sh first" >&2
    exit 2
  fi
}
