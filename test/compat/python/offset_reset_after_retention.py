# Regression driver (issue 19, defect 1): a librdkafka consumer whose committed offset was deleted
# by retention must reset to the earliest offset (auto.offset.reset) within the normal retry time.
# With records = null in errored Fetch partitions, librdkafka failed to parse every response
# ("invalid MessageSetSize -1"), never saw OFFSET_OUT_OF_RANGE and refetched in a tight loop.
#
# Prints one JSON line: {"first_offset", "low_watermark", "reset_ms", "parse_errors", "log_lines"}.
# Exits 3 when confluent-kafka is not installed.
import argparse
import json
import logging
import sys
import threading
import time

try:
    from confluent_kafka import Consumer, Producer, TopicPartition
    from confluent_kafka.admin import AdminClient, ConfigResource, ConfigEntry, NewTopic, AlterConfigOpType
except ImportError as missing:
    print(f"not installed: {missing}", file=sys.stderr)
    sys.exit(3)

parser = argparse.ArgumentParser()
parser.add_argument("--bootstrap", required=True)
parser.add_argument("--topic", required=True)
parser.add_argument("--group", required=True)
parser.add_argument("--records", type=int, default=3000)
parser.add_argument("--timeout", type=float, default=30)
args = parser.parse_args()

COMMITTED = 10
admin = AdminClient({"bootstrap.servers": args.bootstrap})
for f in admin.create_topics([NewTopic(args.topic, 1, 1, config={"segment.bytes": "1048576"})]).values():
    f.result(timeout=20)

producer = Producer({"bootstrap.servers": args.bootstrap, "linger.ms": 5})
payload = b"x" * 1024
for i in range(args.records):
    producer.produce(args.topic, key=str(i).encode(), value=payload, partition=0)
    if i % 500 == 0:
        producer.poll(0)
if producer.flush(30) != 0:
    raise SystemExit("produce did not finish")

# The group's committed offset, made without consuming: a standalone commit.
committer = Consumer({"bootstrap.servers": args.bootstrap, "group.id": args.group, "enable.auto.commit": False})
committer.commit(offsets=[TopicPartition(args.topic, 0, COMMITTED)], asynchronous=False)
committer.close()

# Retention deletes every rolled segment, taking the committed offset with it.
resource = ConfigResource("TOPIC", args.topic, incremental_configs=[
    ConfigEntry("retention.ms", "1", incremental_operation=AlterConfigOpType.SET)])
for f in admin.incremental_alter_configs([resource]).values():
    f.result(timeout=20)
probe = Consumer({"bootstrap.servers": args.bootstrap, "group.id": args.group + "-probe"})
deadline = time.time() + args.timeout
low = 0
while time.time() < deadline:
    low, _high = probe.get_watermark_offsets(TopicPartition(args.topic, 0), timeout=5)
    if low > COMMITTED:
        break
    time.sleep(0.2)
probe.close()
if low <= COMMITTED:
    raise SystemExit(f"retention did not move the log start past {COMMITTED} (low watermark {low})")

# librdkafka's own log lines, counted: a parse-error storm shows here.
lines = []
lock = threading.Lock()


class Collect(logging.Handler):
    def emit(self, record):
        with lock:
            lines.append(record.getMessage())


rdkafka_log = logging.getLogger("librdkafka")
rdkafka_log.propagate = False
rdkafka_log.setLevel(logging.DEBUG)
rdkafka_log.addHandler(Collect())


consumer = Consumer({
    "bootstrap.servers": args.bootstrap, "group.id": args.group, "auto.offset.reset": "earliest",
    "enable.auto.commit": False, "debug": "fetch,protocol", "log_level": 7,
}, logger=rdkafka_log)
started = time.time()
consumer.subscribe([args.topic])
first = None
while time.time() < deadline and first is None:
    m = consumer.poll(0.5)
    if m is not None and m.error() is None:
        first = m.offset()
reset_ms = round((time.time() - started) * 1000)
consumer.close()
with lock:
    parse_errors = sum(1 for line in lines if "MessageSetSize" in line or "parse" in line.lower() and "fail" in line.lower())
    total = len(lines)
print(json.dumps({"first_offset": first, "low_watermark": low, "reset_ms": reset_ms, "parse_errors": parse_errors, "log_lines": total}), flush=True)
