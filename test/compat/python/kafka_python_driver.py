# Compatibility driver for kafka-python (pure Python): the scenarios of docs/compat.md.
import sys
import threading
import time

try:
    import kafka
    from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
    from kafka.structs import OffsetAndMetadata
except ImportError as missing:
    print(f"not installed: {missing}", file=sys.stderr)
    sys.exit(3)

import compat_common as c

CLIENT = "kafka-python"
CLIENT_ID = f"highwater-compat-{CLIENT}"
LATEST, EARLIEST = -1, -2


def admin(bootstrap):
    return KafkaAdminClient(bootstrap_servers=bootstrap, client_id=CLIENT_ID, request_timeout_ms=15000)


def create_topic(bootstrap, topic, partitions):
    a = admin(bootstrap)
    a.create_topics({topic: {"num_partitions": partitions, "replication_factor": 1}}, timeout_ms=15000,
                    wait_for_metadata=True)
    # Kafka's leader learns of a new partition a moment after CreateTopics returns; until then an
    # acks=0 record is dropped without a word. A partition that answers ListOffsets is ready
    # (list_partition_offsets retries NOT_LEADER_OR_FOLLOWER itself).
    a.list_partition_offsets({TopicPartition(topic, p): LATEST for p in range(partitions)}, timeout_ms=15000)
    return a


def producer(bootstrap, acks, codec, idempotent=False):
    return KafkaProducer(
        bootstrap_servers=bootstrap, client_id=CLIENT_ID, acks=acks, compression_type=None if codec == "none" else codec,
        enable_idempotence=idempotent, linger_ms=5,
        # Without idempotence a retried batch would overtake the next one.
        max_in_flight_requests_per_connection=5 if idempotent else 1)


def consumer(bootstrap, group=None, **extra):
    return KafkaConsumer(bootstrap_servers=bootstrap, client_id=CLIENT_ID, group_id=group, enable_auto_commit=False,
                         auto_offset_reset="earliest", **extra)


def produce(p, topic, count, partitions):
    futures = [p.send(topic, key=c.key(i), value=c.value(i), partition=i % partitions,
                      headers=c.headers(i, CLIENT)) for i in range(count)]
    p.flush(timeout=30)
    for future in futures:
        future.get(timeout=30)
    p.close(timeout=10)


def consume_all(bootstrap, topic, count, partitions):
    by_partition = {}
    cons = consumer(bootstrap)
    try:
        tps = [TopicPartition(topic, p) for p in range(partitions)]
        cons.assign(tps)
        cons.seek_to_beginning(*tps)
        received = 0
        deadline = time.time() + 30
        while received < count and time.time() < deadline:
            for tp, records in cons.poll(timeout_ms=500).items():
                for r in records:
                    by_partition.setdefault(tp.partition, []).append((r.offset, r.key, r.value, r.headers))
                    received += 1
    finally:
        cons.close(autocommit=False)
    return by_partition


def expect(what, got, want):
    if got != want:
        raise c.Check(f"{what}: got {got}, expected {want}")


def metadata(bootstrap, prefix):
    topic = f"{prefix}-meta"
    a = create_topic(bootstrap, topic, c.PARTITIONS)
    brokers = a.describe_cluster()["brokers"]
    described = a.describe_topics([topic])[0]
    expect("partitions in Metadata", len(described["partitions"]), c.PARTITIONS)
    if topic not in a.list_topics():
        raise c.Check(f"{topic} not listed")
    a.delete_topics([topic], timeout_ms=15000)
    deadline = time.time() + 15
    while topic in a.list_topics():
        if time.time() > deadline:
            raise c.Check(f"{topic} still listed after delete")
        time.sleep(0.1)
    a.close()
    return f"{len(brokers)} broker(s); create, describe, list, delete"


def produce_consume(codec):
    def run(bootstrap, prefix):
        for acks in [0, 1, "all"]:
            topic = f"{prefix}-pc-{codec}-acks{acks}"
            create_topic(bootstrap, topic, c.PARTITIONS).close()
            produce(producer(bootstrap, acks, codec), topic, c.RECORDS, c.PARTITIONS)
            try:
                c.verify(consume_all(bootstrap, topic, c.RECORDS, c.PARTITIONS), c.RECORDS, c.PARTITIONS, CLIENT)
            except c.Check as wrong:
                raise c.Check(f"acks={acks}: {wrong}") from wrong
        return f"{c.RECORDS} records x acks 0,1,all"
    return run


def list_offsets(bootstrap, prefix):
    topic = f"{prefix}-lo"
    a = create_topic(bootstrap, topic, c.PARTITIONS)
    base = (int(time.time()) - 60) * 1000
    p = producer(bootstrap, "all", "none")
    for i in range(10):
        p.send(topic, key=c.key(i), value=c.value(i), partition=0, timestamp_ms=base + i * 1000)
    p.flush(timeout=30)
    p.close(timeout=10)
    tp = TopicPartition(topic, 0)
    for label, spec, want in [("earliest", EARLIEST, 0), ("latest", LATEST, 10),
                              ("for timestamp base+5.5s", base + 5500, 6)]:
        expect(f"admin {label}", a.list_partition_offsets({tp: spec}, timeout_ms=15000)[tp].offset, want)
    a.close()
    cons = consumer(bootstrap)
    try:
        expect("consumer beginning_offsets", cons.beginning_offsets([tp])[tp], 0)
        expect("consumer end_offsets", cons.end_offsets([tp])[tp], 10)
        found = cons.offsets_for_times({tp: base + 5000})[tp]
        expect("consumer offsets_for_times base+5s", found.offset if found else None, 5)
    finally:
        cons.close(autocommit=False)
    return "earliest 0, latest 10, timestamp -> 6 (admin and consumer)"


def idempotent(bootstrap, prefix):
    topic = f"{prefix}-idem"
    count = 1000
    create_topic(bootstrap, topic, c.PARTITIONS).close()
    produce(producer(bootstrap, "all", "none", idempotent=True), topic, count, c.PARTITIONS)
    c.verify(consume_all(bootstrap, topic, count, c.PARTITIONS), count, c.PARTITIONS, CLIENT)
    return f"{count} records, enable_idempotence=True"


def long_poll(bootstrap, prefix):
    topic = f"{prefix}-lp"
    create_topic(bootstrap, topic, 1).close()
    p = producer(bootstrap, 1, "none")
    p.partitions_for(topic)
    cons = consumer(bootstrap, fetch_max_wait_ms=c.LONG_POLL_MAX_WAIT_MS, fetch_min_bytes=1)
    try:
        tp = TopicPartition(topic, 0)
        cons.assign([tp])
        cons.seek(tp, 0)
        if cons.poll(timeout_ms=1000):
            raise c.Check("topic not empty")
        sent_at = []

        # This thread sits in poll(), inside a fetch the broker holds open; the record is sent
        # from another thread a second into that wait.
        def send():
            time.sleep(1.0)
            sent_at.append(time.monotonic())
            p.send(topic, key=c.key(0), value=c.value(0), partition=0).get(timeout=10)

        sender = threading.Thread(target=send)
        sender.start()
        got = {}
        deadline = time.monotonic() + 3 * c.LONG_POLL_MAX_WAIT_MS / 1000
        while not got and time.monotonic() < deadline:
            got = cons.poll(timeout_ms=3 * c.LONG_POLL_MAX_WAIT_MS)
        received_at = time.monotonic()
        sender.join()
        if not got:
            raise c.Check("record not received")
        latency_ms = round((received_at - sent_at[0]) * 1000)
        if latency_ms >= c.LONG_POLL_MAX_WAIT_MS / 2:
            raise c.Check(f"received after {latency_ms} ms, max wait {c.LONG_POLL_MAX_WAIT_MS}")
        return f"{latency_ms} ms produce->consume, fetch_max_wait_ms={c.LONG_POLL_MAX_WAIT_MS}"
    finally:
        cons.close(autocommit=False)
        p.close(timeout=10)


class Member(threading.Thread):
    """A group member polling in its own thread: kafka-python rejoins a group only inside poll(),
    so two members polled in turn from one thread can stall each other's rebalance."""

    def __init__(self, bootstrap, topic):
        super().__init__(daemon=True)
        self.consumer = consumer(bootstrap, topic, session_timeout_ms=10000, heartbeat_interval_ms=1000)
        self.consumer.subscribe([topic])
        self.assigned = 0
        self.commit_now = threading.Event()
        self.stop = threading.Event()
        self.committed = threading.Event()
        self.error = None

    def run(self):
        try:
            while not self.stop.is_set():
                self.consumer.poll(timeout_ms=100)
                assignment = self.consumer.assignment()
                self.assigned = len(assignment)
                if self.commit_now.is_set() and not self.committed.is_set():
                    self.consumer.commit({tp: OffsetAndMetadata(c.GROUP_COMMIT_OFFSET, "", -1) for tp in assignment})
                    self.committed.set()
        except Exception as failure:  # noqa: BLE001 - reported by the scenario
            self.error = failure
            self.committed.set()


def group_resume_commit(bootstrap, prefix):
    topic = f"{prefix}-group"
    create_topic(bootstrap, topic, c.GROUP_PARTITIONS).close()
    produce(producer(bootstrap, "all", "none"), topic, c.GROUP_PARTITIONS * c.GROUP_RECORDS_PER_PARTITION,
            c.GROUP_PARTITIONS)
    members = [Member(bootstrap, topic) for _ in range(2)]
    for m in members:
        m.start()
    try:
        deadline = time.time() + 60
        while not all(m.assigned == 2 for m in members):
            if time.time() > deadline or any(m.error for m in members):
                raise c.Check(f"group did not settle on 2+2 partitions: {[m.assigned for m in members]} "
                              f"{[m.error for m in members]}")
            time.sleep(0.05)
        for m in members:
            m.commit_now.set()
        for m in members:
            if not m.committed.wait(20) or m.error:
                raise c.Check(f"commit failed: {m.error}")
    finally:
        for m in members:
            m.stop.set()
        for m in members:
            m.join(10)
    try:
        for p in range(c.GROUP_PARTITIONS):
            expect(f"committed partition {p}", members[0].consumer.committed(TopicPartition(topic, p)),
                   c.GROUP_COMMIT_OFFSET)
    finally:
        for m in members:
            m.consumer.close(autocommit=False)
    return f"2 members x 2 partitions, committed offset {c.GROUP_COMMIT_OFFSET} on 4 partitions"


def group_resume_check(bootstrap, prefix):
    topic = f"{prefix}-group"
    cons = consumer(bootstrap, topic)
    try:
        for p in range(c.GROUP_PARTITIONS):
            expect(f"committed partition {p} after restart", cons.committed(TopicPartition(topic, p)),
                   c.GROUP_COMMIT_OFFSET)
        cons.subscribe([topic])
        first = {}
        deadline = time.time() + 30
        while len(first) < c.GROUP_PARTITIONS and time.time() < deadline:
            for tp, records in cons.poll(timeout_ms=500).items():
                if records and tp.partition not in first:
                    r = records[0]
                    first[tp.partition] = r.offset
                    expect(f"key at partition {tp.partition} offset {r.offset}", r.key,
                           c.key(r.offset * c.GROUP_PARTITIONS + tp.partition))
        if len(first) < c.GROUP_PARTITIONS:
            raise c.Check(f"received from partitions {sorted(first)} only")
        for partition, offset in first.items():
            expect(f"first offset of partition {partition}", offset, c.GROUP_COMMIT_OFFSET)
    finally:
        cons.close(autocommit=False)
    return f"resumed at offset {c.GROUP_COMMIT_OFFSET} on 4 partitions"


def read_txn_output(bootstrap, topic, isolation, count):
    """Reads the output topic from the start until `count` records arrived, then 2 s more for extras."""
    cons = consumer(bootstrap, isolation_level=isolation)
    records = []
    try:
        tps = [TopicPartition(topic, p) for p in range(c.TXN_PARTITIONS)]
        cons.assign(tps)
        cons.seek_to_beginning(*tps)
        deadline = time.time() + 30
        grace = None
        while time.time() < deadline and (grace is None or time.time() < grace):
            for tp, batch in cons.poll(timeout_ms=500).items():
                records.extend((tp.partition, r.key, r.value) for r in batch)
            if grace is None and len(records) >= count:
                grace = time.time() + 2
    finally:
        cons.close(autocommit=False)
    return records


def transactions(bootstrap, prefix):
    source, sink, group = f"{prefix}-txn-in", f"{prefix}-txn-out", f"{prefix}-txn-group"
    create_topic(bootstrap, source, c.TXN_PARTITIONS).close()
    create_topic(bootstrap, sink, c.TXN_PARTITIONS).close()
    p = producer(bootstrap, "all", "none", idempotent=True)
    for i in range(c.TXN_INPUT):
        p.send(source, key=c.key(i), value=c.value(i), partition=i % c.TXN_PARTITIONS)
    p.flush(timeout=30)
    p.close(timeout=10)

    tp = KafkaProducer(bootstrap_servers=bootstrap, client_id=CLIENT_ID, transactional_id=f"{prefix}-txn", linger_ms=5)
    tp.init_transactions()
    cons = consumer(bootstrap, group, isolation_level="read_committed", max_poll_records=50)
    processed = 0
    done = 0
    try:
        cons.subscribe([source])
        deadline = time.time() + 60
        while processed < c.TXN_INPUT:
            if time.time() > deadline:
                raise c.Check(f"processed {processed} of {c.TXN_INPUT} input records in 60 s")
            polled = cons.poll(timeout_ms=500)
            if not polled:
                continue
            tp.begin_transaction()
            offsets = {}
            for part, batch in polled.items():
                for r in batch:
                    tp.send(sink, key=r.key, value=r.value + b"-out", partition=part.partition)
                    processed += 1
                offsets[part] = OffsetAndMetadata(batch[-1].offset + 1, "", -1)
            tp.send_offsets_to_transaction(offsets, cons.group_metadata())
            tp.commit_transaction()
            done += 1
    finally:
        cons.close(autocommit=False)
    # One transaction aborted, then a committed one a read_committed reader must get past it to.
    tp.begin_transaction()
    for i in range(c.TXN_ABORTED):
        tp.send(sink, key=f"aborted-{i}".encode(), value=b"aborted", partition=i % c.TXN_PARTITIONS)
    tp.flush(timeout=30)
    tp.abort_transaction()
    tp.begin_transaction()
    tp.send(sink, key=b"tail", value=b"tail", partition=0)
    tp.commit_transaction()
    tp.close(timeout=10)

    committed = read_txn_output(bootstrap, sink, "read_committed", c.TXN_INPUT + 1)
    c.check_txn_output(committed, False)
    uncommitted = read_txn_output(bootstrap, sink, "read_uncommitted", c.TXN_INPUT + 1 + c.TXN_ABORTED)
    c.check_txn_output(uncommitted, True)
    check = consumer(bootstrap, group)
    try:
        for part in range(c.TXN_PARTITIONS):
            expect(f"group's committed offset of {source}-{part}", check.committed(TopicPartition(source, part)),
                   c.TXN_INPUT // c.TXN_PARTITIONS)
    finally:
        check.close(autocommit=False)
    return (f"{c.TXN_INPUT} records in {done} transactions (send_offsets_to_transaction), {c.TXN_ABORTED} aborted: "
            f"read_committed {len(committed)}, read_uncommitted {len(uncommitted)}")


if __name__ == "__main__":
    scenarios = {
        "transactions": transactions,
        "metadata": metadata, "list-offsets": list_offsets, "idempotent": idempotent, "long-poll": long_poll,
        "group-resume-1": group_resume_commit, "group-resume-2": group_resume_check,
    }
    for codec in c.CODECS:
        scenarios[f"produce-consume-{codec}"] = produce_consume(codec)
    c.main([f"kafka-python {kafka.__version__}"], scenarios)
