#!/usr/bin/env bash
# Runs Kafka client projects' own integration suites (franz-go's kgo, segmentio/kafka-go) against a
# broker this script starts, and counts their top-level tests. See docs/foreign-suites.md.
#
#   test/foreign/run.sh --broker highwater|kafka [--prepare]
#
# --prepare only fetches the suites' sources (Go module proxy) and builds their test binaries.
# The broker listens on 127.0.0.1:9092 when that port is free: kafka-go's tests dial
# localhost:9092 and have no setting for another address; otherwise it gets a free port and the
# kafka-go suite is reported as not run. The include/exclude lists below were set by running the
# suites against Apache Kafka 4.4: a test listed in RUN passes there. Exit 1 when a test that
# passed on Kafka (in its last results, or by the lists when there are none) fails here; 2 on
# setup errors. Bounded: each suite has a -test.timeout, the whole run about 10 minutes.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export PATH="$root/node_modules/.bin:$PATH:/usr/local/go/bin"
cache="${HIGHWATER_FOREIGN_CACHE:-$HOME/.cache/highwater-foreign}"

FRANZ_VERSION=v1.22.2
KAFKAGO_VERSION=v0.4.51

# franz-go pkg/kgo: every test except those needing what a single-node, non-transactional broker
# lacks; the reason for each is in docs/foreign-suites.md. Its KIP-848 subtests skip themselves
# when the broker does not offer ConsumerGroupHeartbeat.
FRANZ_SKIP='^(TestTxnEtl|TestShareGroup|TestShareGroupETL|TestShareGroupAckOnClose|TestShareGroupOffsetsAdmin|TestConsumeRegexShareSkipsInternal|Test848RegexBrokerResolves|TestSCRAMAuth|TestSCRAMAuthBadCredentials|TestConsumeRegex)$'
# kafka-go: the tests that pass against Kafka 4.4 as one KRaft node (its own CI runs a
# docker-compose cluster with SASL listeners and ZooKeeper-era settings), less those that need an
# API Highwater does not serve yet; both lists are in docs/foreign-suites.md.
KAFKAGO_RUN='^(TestNetworkAddress|TestClientApiVersions|TestBatchDontExpectEOF|TestClient|TestClientProduceAndConsume|TestReadPartitionsNoTopic|TestReaderAssignTopicPartitions|TestConsumerGroup|TestConsumerGroupErrors|TestGenerationExitsOnPartitionChange|TestGenerationStartsFunctionAfterClosed|TestClientCreatePartitions|TestClientCreatePartitionsNoAssignments|TestConnCreateTopics|TestClientCreateTopics|TestClientDeleteGroups|TestClientDeleteTopics|TestClientDescribeGroups|TestDialerConnectTLSHonorsContext|TestClientFetch|TestClientFetchCompressed|TestClientPipeline|TestClientHeartbeat|TestClientIncrementalAlterConfigs|TestClientJoinGroup|TestSaramaCompatibility|TestClientLeaveGroup|TestClientListGroups|TestClientListOffsets|TestClientMetadata|TestClientOffsetCommit|TestClientDeleteOffset|TestClientProduce|TestClientProduceCompressed|TestClientProduceNilRecords|TestClientProduceEmptyRecords|TestClientRawProduce|TestClientRawProduceCompressed|TestClientRawProduceNilRecords|TestClientRawProduceEmptyRecords|TestReader|TestReaderOnNonZeroPartition|TestCloseLeavesGroup|TestReaderSetOffsetWhenConsumerGroupsEnabled|TestReaderOffsetWhenConsumerGroupsEnabled|TestReaderLagWhenConsumerGroupsEnabled|TestReaderReadLagReturnsZeroLagWhenConsumerGroupsEnabled|TestReaderPartitionWhenConsumerGroupsEnabled)$'

broker="" prepare_only=0
while [ $# -gt 0 ]; do
  case "$1" in
    --broker) broker="${2:-}"; shift 2 ;;
    --prepare) prepare_only=1; shift ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
if [ "$prepare_only" = 0 ] && [ "$broker" != highwater ] && [ "$broker" != kafka ]; then
  echo "usage: test/foreign/run.sh --broker highwater|kafka [--prepare]" >&2; exit 2
fi
command -v go > /dev/null || { echo "no go toolchain" >&2; exit 2; }

# -- sources and test binaries (idempotent: a second run only relinks from the build cache) ----
mkdir -p "$cache/bin"
module_dir() { (cd "$cache" && go mod download -json "$1@$2" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p'); }
prepare() {
  local franz kafkago
  franz="$(module_dir github.com/twmb/franz-go "$FRANZ_VERSION")" || return 1
  kafkago="$(module_dir github.com/segmentio/kafka-go "$KAFKAGO_VERSION")" || return 1
  (cd "$franz" && go test -c -o "$cache/bin/kgo.test" ./pkg/kgo) || return 1
  echo "$franz/pkg/kgo" > "$cache/bin/kgo.dir"
  # kafka-go's go.mod lacks entries its tests need; build from a writable copy.
  local copy="$cache/kafka-go@$KAFKAGO_VERSION"
  if [ ! -f "$copy/go.mod" ]; then
    rm -rf "$copy" && cp -r "$kafkago" "$copy" && chmod -R u+w "$copy" || return 1
  fi
  (cd "$copy" && GOFLAGS=-mod=mod go test -c -o "$cache/bin/kafkago.test" .) || return 1
  echo "$copy" > "$cache/bin/kafkago.dir"
}
began=$(date +%s)
prepare > "$cache/prepare.log" 2>&1 || { tail -5 "$cache/prepare.log" >&2; echo "could not prepare the suites" >&2; exit 2; }
echo "suites prepared in $(( $(date +%s) - began )) s" >&2
[ "$prepare_only" = 1 ] && exit 0

# -- broker ------------------------------------------------------------------------------------
port_free() { ! (exec 3<> "/dev/tcp/127.0.0.1/$1") 2> /dev/null; }
free_port() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }
port=9092
port_free "$port" || port="$(free_port)"
data_dir="$(mktemp -d "${TMPDIR:-/tmp}/highwater-foreign-$broker-XXXXXX")"
hw_pid=""
stop_broker() {
  if [ "$broker" = kafka ]; then
    "$root/bench/kafka/stop.sh" --data-dir "$data_dir" --timeout 30 > /dev/null 2>&1
  elif [ -n "$hw_pid" ]; then
    kill "$hw_pid" 2> /dev/null && wait "$hw_pid" 2> /dev/null
  fi
  rm -rf "$data_dir"
}
trap stop_broker EXIT
trap 'exit 130' INT TERM
if [ "$broker" = kafka ]; then
  "$root/bench/kafka/start.sh" --port "$port" --controller-port "$(free_port)" --data-dir "$data_dir" --heap 512m >&2 || exit 2
  reference="Apache Kafka 4.4"
else
  # Three partitions for auto-created topics, as bench/kafka/start.sh gives the reference broker.
  (cd "$root" && exec node src/cli/main.ts start --port "$port" --data-dir "$data_dir/data" --http-port -1 \
    --num-partitions 3 > "$data_dir/highwater.log" 2>&1) &
  hw_pid=$!
  for _ in $(seq 100); do port_free "$port" || break; sleep 0.2; done
  port_free "$port" && { tail -5 "$data_dir/highwater.log" >&2; echo "Highwater did not start" >&2; exit 2; }
  reference="Highwater"
fi
echo "broker: $reference on 127.0.0.1:$port" >&2

# -- suites ------------------------------------------------------------------------------------
results="$cache/results-$broker"
mkdir -p "$results"
# Runs one test binary; keeps "STATUS TestName" for every top-level test in $results/<suite>.txt.
run_suite() {
  local suite="$1" timeout_s="$2"; shift 2
  local bin="$cache/bin/$suite.test" dir
  dir="$(cat "$cache/bin/$suite.dir")"
  local started=$(date +%s)
  (cd "$dir" && timeout $((timeout_s + 30)) "$bin" -test.v -test.timeout "${timeout_s}s" "$@") > "$results/$suite.log" 2>&1
  sed -n 's/^--- \(PASS\|FAIL\|SKIP\): \(Test[A-Za-z0-9_]*\) .*/\1 \2/p' "$results/$suite.log" > "$results/$suite.txt"
  # A test that panicked or hit the timeout has no closing line: it counts as a failure.
  local running
  running="$(sed -n '/^running tests:/,$ s/^\t\(Test[A-Za-z0-9_]*\) (.*/\1/p' "$results/$suite.log")"
  for t in $running; do grep -q " $t\$" "$results/$suite.txt" || echo "FAIL $t" >> "$results/$suite.txt"; done
  if grep -q '^panic: ' "$results/$suite.log" && ! grep -q '^FAIL ' "$results/$suite.txt"; then
    echo "FAIL (panic)" >> "$results/$suite.txt"
  fi
  echo "$(( $(date +%s) - started ))" > "$results/$suite.seconds"
}

export KGO_SEEDS="127.0.0.1:$port" KGO_TEST_RF=1 KGO_TEST_RECORDS=5000 KGO_LOG_LEVEL=none
echo "franz-go kgo $FRANZ_VERSION ..." >&2
run_suite kgo 300 -test.skip "$FRANZ_SKIP"
if [ "$port" = 9092 ]; then
  echo "kafka-go $KAFKAGO_VERSION ..." >&2
  KAFKA_VERSION=4.4.0 run_suite kafkago 300 -test.run "$KAFKAGO_RUN"
else
  echo "NOTRUN (127.0.0.1:9092 is in use; kafka-go's tests dial localhost:9092)" > "$results/kafkago.txt"
fi

# -- report ------------------------------------------------------------------------------------
passed=0 failed=0 regressions=0
printf '\n%-26s %6s %6s %6s %5s\n' "suite ($reference)" pass fail skip s
for suite in kgo kafkago; do
  file="$results/$suite.txt"
  if grep -q '^NOTRUN' "$file"; then printf '%-26s %s\n' "$suite" "$(cut -d' ' -f2- "$file")"; continue; fi
  p=$(grep -c '^PASS ' "$file"); f=$(grep -c '^FAIL ' "$file"); s=$(grep -c '^SKIP ' "$file")
  printf '%-26s %6d %6d %6d %5s\n' "$suite" "$p" "$f" "$s" "$(cat "$results/$suite.seconds")"
  passed=$((passed + p)) failed=$((failed + f))
  kafka_file="$cache/results-kafka/$suite.txt"
  while read -r _ name; do
    if [ "$broker" = kafka ]; then
      echo "  failed on Kafka too (a suite or environment problem): $suite $name"
    elif [ -f "$kafka_file" ] && ! grep -qx "PASS $name" "$kafka_file"; then
      echo "  fails on Kafka's last run too: $suite $name"
    else
      echo "  REGRESSION (passes on Kafka): $suite $name"; regressions=$((regressions + 1))
    fi
  done < <(grep '^FAIL ' "$file")
done
echo "logs: $results/"
echo "$passed passed, $failed failed"
[ "$broker" = highwater ] && [ "$regressions" -gt 0 ] && exit 1
exit 0
