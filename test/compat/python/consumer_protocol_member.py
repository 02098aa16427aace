# One member of a consumer group under the KIP-848 protocol (group.protocol=consumer), driven by
# librdkafka through confluent-kafka. It logs, one JSON line per event on stdout:
#   {"ev": "assigned"|"revoked"|"lost", "t": ms, "partitions": [..]}   at the start of an assignment
#                                                                       and at the end of a revocation
#   {"ev": "processing", "t": ms, "records": [[partition, offset], ..]} a batch about to be committed
#   {"ev": "records", "t": ms, "records": [[partition, offset], ..]}    only after their commit succeeded
#   {"ev": "closed", "t": ms}
# Commits are manual and synchronous, after processing each batch. SIGTERM closes the consumer
# (it leaves the group); SIGKILL is the member that dies without leaving.
import argparse
import json
import signal
import sys
import time

try:
    from confluent_kafka import Consumer, KafkaException, TopicPartition
except ImportError as missing:
    print(f"not installed: {missing}", file=sys.stderr)
    sys.exit(3)

parser = argparse.ArgumentParser()
parser.add_argument("--bootstrap", required=True)
parser.add_argument("--topic", required=True)
parser.add_argument("--group", required=True)
parser.add_argument("--name", required=True)
args = parser.parse_args()


def now_ms():
    return int(time.time() * 1000)


def emit(ev, **fields):
    print(json.dumps({"ev": ev, "t": now_ms(), **fields}), flush=True)


def on_assign(consumer, partitions):
    emit("assigned", partitions=sorted(p.partition for p in partitions))


def on_revoke(consumer, partitions):
    emit("revoked", partitions=sorted(p.partition for p in partitions))


def on_lost(consumer, partitions):
    emit("lost", partitions=sorted(p.partition for p in partitions))


stopping = False


def stop(_signum, _frame):
    global stopping
    stopping = True


signal.signal(signal.SIGTERM, stop)
consumer = Consumer({
    "bootstrap.servers": args.bootstrap,
    "group.id": args.group,
    "group.protocol": "consumer",
    "client.id": args.name,
    "enable.auto.commit": False,
    "auto.offset.reset": "earliest",
})
consumer.subscribe([args.topic], on_assign=on_assign, on_revoke=on_revoke, on_lost=on_lost)
emit("started")
while not stopping:
    messages = consumer.consume(num_messages=200, timeout=0.2)
    batch = [m for m in messages if m.error() is None]
    if not batch:
        continue
    latest = {}
    first = {}
    for m in batch:
        latest[m.partition()] = m.offset() + 1
        first.setdefault(m.partition(), m.offset())
    # Logged before the commit too: a member killed between its commit and the line after it has
    # still committed these records (the test accepts them when the group's offset is past them).
    emit("processing", records=[[m.partition(), m.offset()] for m in batch])
    try:
        consumer.commit(offsets=[TopicPartition(args.topic, p, o) for p, o in latest.items()], asynchronous=False)
    except KafkaException as err:
        # Not committed: another member will get these records again, so they do not count as read.
        emit("commit-failed", error=str(err))
        for p, o in first.items():
            try:
                consumer.seek(TopicPartition(args.topic, p, o))
            except KafkaException:
                pass
        continue
    emit("records", records=[[m.partition(), m.offset()] for m in batch])
consumer.close()
emit("closed")
