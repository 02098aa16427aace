# Reads partition 0 of a topic from the beginning to its end with one client, without a group,
# and prints one JSON line: {"keys": [...], "offsets": [...], "errors": [...]}. Used by regression
# tests that check a partition stays readable for the librdkafka and kafka-python consumers.
import argparse
import json
import sys
import time

parser = argparse.ArgumentParser()
parser.add_argument("--client", choices=["confluent-kafka", "kafka-python"], required=True)
parser.add_argument("--bootstrap", required=True)
parser.add_argument("--topic", required=True)
parser.add_argument("--timeout", type=float, default=20)
args = parser.parse_args()
keys, offsets, errors = [], [], []
deadline = time.time() + args.timeout

if args.client == "confluent-kafka":
    try:
        from confluent_kafka import Consumer, TopicPartition, OFFSET_BEGINNING
    except ImportError as missing:
        print(f"not installed: {missing}", file=sys.stderr)
        sys.exit(3)
    c = Consumer({"bootstrap.servers": args.bootstrap, "group.id": "unused", "enable.auto.commit": False,
                  "enable.partition.eof": True, "error_cb": lambda e: errors.append(str(e))})
    c.assign([TopicPartition(args.topic, 0, OFFSET_BEGINNING)])
    while time.time() < deadline:
        m = c.poll(0.5)
        if m is None:
            continue
        if m.error():
            if m.error().code() == -191:  # _PARTITION_EOF: read to the end
                break
            errors.append(str(m.error()))
            continue
        keys.append(m.key().decode() if m.key() is not None else None)
        offsets.append(m.offset())
    c.close()
else:
    try:
        from kafka import KafkaConsumer, TopicPartition
    except ImportError as missing:
        print(f"not installed: {missing}", file=sys.stderr)
        sys.exit(3)
    c = KafkaConsumer(bootstrap_servers=args.bootstrap, enable_auto_commit=False, consumer_timeout_ms=3000)
    tp = TopicPartition(args.topic, 0)
    c.assign([tp])
    c.seek_to_beginning(tp)
    end = c.end_offsets([tp])[tp]
    try:
        while time.time() < deadline and (not offsets or offsets[-1] < end - 1):
            for tp_, records in c.poll(timeout_ms=500).items():
                for r in records:
                    keys.append(r.key.decode() if r.key is not None else None)
                    offsets.append(r.offset)
    except Exception as failure:  # noqa: BLE001 - a read failure is the result
        errors.append(f"{type(failure).__name__}: {failure}")
    c.close()

print(json.dumps({"keys": keys, "offsets": offsets, "errors": errors}), flush=True)
