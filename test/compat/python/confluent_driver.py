# Compatibility driver for confluent-kafka-python (librdkafka): the scenarios of docs/compat.md.
import sys
import threading
import time

try:
    import confluent_kafka
    from confluent_kafka import Consumer, Producer, TopicPartition, OFFSET_BEGINNING
    from confluent_kafka.admin import AdminClient, NewTopic, OffsetSpec
except ImportError as missing:
    print(f"not installed: {missing}", file=sys.stderr)
    sys.exit(3)

import compat_common as c

CLIENT = "confluent-kafka-python"
CLIENT_ID = f"highwater-compat-{CLIENT}"


def admin(bootstrap):
    return AdminClient({**c.librdkafka_security(), "bootstrap.servers": bootstrap, "client.id": CLIENT_ID})


def create_topic(bootstrap, topic, partitions):
    a = admin(bootstrap)
    for future in a.create_topics([NewTopic(topic, partitions, 1)], operation_timeout=15).values():
        future.result(timeout=20)
    deadline = time.time() + 15
    while time.time() < deadline:
        meta = a.list_topics(topic, timeout=10).topics.get(topic)
        if meta and meta.error is None and len(meta.partitions) == partitions and all(
                p.leader >= 0 for p in meta.partitions.values()):
            break
        time.sleep(0.1)
    else:
        raise c.Check(f"{topic} has no leader for every partition after 15 s")
    wait_until_writable(bootstrap, topic, partitions, deadline)
    return a


def wait_until_writable(bootstrap, topic, partitions, deadline):
    """Kafka's leader learns of a new partition a moment after CreateTopics returns; until then it
    answers NOT_LEADER_OR_FOLLOWER, and an acks=0 record sent then is dropped without a word. A
    partition that answers ListOffsets is ready."""
    probe = consumer(bootstrap)
    try:
        for p in range(partitions):
            while True:
                try:
                    probe.get_watermark_offsets(TopicPartition(topic, p), timeout=5)
                    break
                except Exception:
                    if time.time() > deadline:
                        raise
                    time.sleep(0.1)
    finally:
        probe.close()


def producer(bootstrap, acks, codec, idempotent=False):
    return Producer({
        **c.librdkafka_security(), "bootstrap.servers": bootstrap, "client.id": CLIENT_ID, "acks": acks, "compression.type": codec,
        "enable.idempotence": idempotent, "linger.ms": 5,
        # A retried batch must not overtake the next one (Kafka answers NOT_LEADER_OR_FOLLOWER
        # for a moment after CreateTopics); idempotence keeps order by itself.
        **({} if idempotent else {"max.in.flight.requests.per.connection": 1}),
    })


def consumer(bootstrap, group=None, extra=None):
    config = {**c.librdkafka_security(), "bootstrap.servers": bootstrap, "client.id": CLIENT_ID, "group.id": group or "unused-assign-only",
              "enable.auto.commit": False, "auto.offset.reset": "earliest"}
    config.update(extra or {})
    return Consumer(config)


def produce(p, topic, count, partitions):
    errors = []

    def delivered(err, _msg):
        if err is not None:
            errors.append(err)

    for i in range(count):
        while True:
            try:
                p.produce(topic, value=c.value(i), key=c.key(i), partition=i % partitions,
                          headers=c.headers(i, CLIENT), on_delivery=delivered)
                break
            except BufferError:
                p.poll(0.05)
    remaining = p.flush(30)
    if remaining:
        raise c.Check(f"{remaining} records not delivered after 30 s")
    if errors:
        raise c.Check(f"delivery failed: {errors[0]}")


def consume_all(bootstrap, topic, count, partitions):
    by_partition = {}
    cons = consumer(bootstrap)
    try:
        cons.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(partitions)])
        received = 0
        deadline = time.time() + 30
        while received < count and time.time() < deadline:
            for msg in cons.consume(num_messages=1000, timeout=0.5):
                if msg.error():
                    raise c.Check(f"consume error: {msg.error()}")
                by_partition.setdefault(msg.partition(), []).append(
                    (msg.offset(), msg.key(), msg.value(), msg.headers()))
                received += 1
    finally:
        cons.close()
    return by_partition


def metadata(bootstrap, prefix):
    topic = f"{prefix}-meta"
    a = create_topic(bootstrap, topic, c.PARTITIONS)
    meta = a.list_topics(timeout=10)
    if not meta.brokers:
        raise c.Check("no brokers in Metadata")
    if len(meta.topics[topic].partitions) != c.PARTITIONS:
        raise c.Check(f"Metadata shows {len(meta.topics[topic].partitions)} partitions")
    for future in a.delete_topics([topic], operation_timeout=15).values():
        future.result(timeout=20)
    deadline = time.time() + 15
    while topic in a.list_topics(timeout=10).topics:
        if time.time() > deadline:
            raise c.Check(f"{topic} still listed after delete")
        time.sleep(0.1)
    return f"{len(meta.brokers)} broker(s); create, list, delete"


def produce_consume(codec):
    def run(bootstrap, prefix):
        for acks in ["0", "1", "all"]:
            topic = f"{prefix}-pc-{codec}-acks{acks}"
            create_topic(bootstrap, topic, c.PARTITIONS)
            produce(producer(bootstrap, acks, codec), topic, c.RECORDS, c.PARTITIONS)
            try:
                c.verify(consume_all(bootstrap, topic, c.RECORDS, c.PARTITIONS), c.RECORDS, c.PARTITIONS, CLIENT)
            except c.Check as wrong:
                raise c.Check(f"acks={acks}: {wrong}") from wrong
        return f"{c.RECORDS} records x acks 0,1,all"
    return run


def expect(what, got, want):
    if got != want:
        raise c.Check(f"{what}: got {got}, expected {want}")


def list_offsets(bootstrap, prefix):
    topic = f"{prefix}-lo"
    a = create_topic(bootstrap, topic, c.PARTITIONS)
    base = (int(time.time()) - 60) * 1000
    p = producer(bootstrap, "all", "none")
    for i in range(10):
        p.produce(topic, value=c.value(i), key=c.key(i), partition=0, timestamp=base + i * 1000)
    if p.flush(30):
        raise c.Check("records not delivered")
    tp = TopicPartition(topic, 0)
    for label, spec, want in [("earliest", OffsetSpec.earliest(), 0), ("latest", OffsetSpec.latest(), 10),
                              ("for timestamp base+5.5s", OffsetSpec.for_timestamp(base + 5500), 6)]:
        result = a.list_offsets({tp: spec}, request_timeout=15)[tp].result(timeout=20)
        expect(f"admin {label}", result.offset, want)
    cons = consumer(bootstrap)
    try:
        low, high = cons.get_watermark_offsets(tp, timeout=10)
        expect("consumer low watermark", low, 0)
        expect("consumer high watermark", high, 10)
        found = cons.offsets_for_times([TopicPartition(topic, 0, base + 5000)], timeout=10)[0]
        expect("consumer offsets_for_times base+5s", found.offset, 5)
    finally:
        cons.close()
    return "earliest 0, latest 10, timestamp -> 6 (admin and consumer)"


def idempotent(bootstrap, prefix):
    topic = f"{prefix}-idem"
    count = 1000
    create_topic(bootstrap, topic, c.PARTITIONS)
    produce(producer(bootstrap, "all", "none", idempotent=True), topic, count, c.PARTITIONS)
    c.verify(consume_all(bootstrap, topic, count, c.PARTITIONS), count, c.PARTITIONS, CLIENT)
    return f"{count} records, enable.idempotence=true"


def long_poll(bootstrap, prefix):
    topic = f"{prefix}-lp"
    create_topic(bootstrap, topic, 1)
    p = producer(bootstrap, "1", "none")
    p.list_topics(topic, timeout=10)
    cons = consumer(bootstrap, extra={"fetch.wait.max.ms": c.LONG_POLL_MAX_WAIT_MS, "fetch.min.bytes": 1})
    try:
        cons.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
        if cons.poll(1.0) is not None:
            raise c.Check("topic not empty")
        sent_at = []

        # librdkafka keeps its fetch open in a background thread; the send happens while this
        # thread is in poll(), a second into the broker's wait.
        def send():
            time.sleep(1.0)
            sent_at.append(time.monotonic())
            p.produce(topic, value=c.value(0), key=c.key(0), partition=0)
            p.flush(10)

        sender = threading.Thread(target=send)
        sender.start()
        msg = None
        deadline = time.monotonic() + 3 * c.LONG_POLL_MAX_WAIT_MS / 1000
        while msg is None and time.monotonic() < deadline:
            msg = cons.poll(0.05)
        received_at = time.monotonic()
        sender.join()
        if msg is None or msg.error():
            raise c.Check(f"record not received: {msg.error() if msg else 'timeout'}")
        latency_ms = round((received_at - sent_at[0]) * 1000)
        if latency_ms >= c.LONG_POLL_MAX_WAIT_MS / 2:
            raise c.Check(f"received after {latency_ms} ms, max wait {c.LONG_POLL_MAX_WAIT_MS}")
        return f"{latency_ms} ms produce->consume, fetch.wait.max.ms={c.LONG_POLL_MAX_WAIT_MS}"
    finally:
        cons.close()


def group_partitions(topic):
    return [TopicPartition(topic, p) for p in range(c.GROUP_PARTITIONS)]


def group_resume_commit(bootstrap, prefix):
    topic = f"{prefix}-group"
    create_topic(bootstrap, topic, c.GROUP_PARTITIONS)
    produce(producer(bootstrap, "all", "none"), topic, c.GROUP_PARTITIONS * c.GROUP_RECORDS_PER_PARTITION,
            c.GROUP_PARTITIONS)
    members = [consumer(bootstrap, topic, {"session.timeout.ms": 10000, "heartbeat.interval.ms": 1000})
               for _ in range(2)]
    try:
        for m in members:
            m.subscribe([topic])
        deadline = time.time() + 60
        while not all(len(m.assignment()) == 2 for m in members):
            if time.time() > deadline:
                raise c.Check(f"group did not settle on 2+2 partitions: {[len(m.assignment()) for m in members]}")
            for m in members:
                m.poll(0.1)
        for m in members:
            m.commit(offsets=[TopicPartition(topic, tp.partition, c.GROUP_COMMIT_OFFSET) for tp in m.assignment()],
                     asynchronous=False)
        for tp in members[0].committed(group_partitions(topic), timeout=15):
            expect(f"committed partition {tp.partition}", tp.offset, c.GROUP_COMMIT_OFFSET)
    finally:
        for m in members:
            m.close()
    return f"2 members x 2 partitions, committed offset {c.GROUP_COMMIT_OFFSET} on 4 partitions"


def group_resume_check(bootstrap, prefix):
    topic = f"{prefix}-group"
    cons = consumer(bootstrap, topic)
    try:
        for tp in cons.committed(group_partitions(topic), timeout=20):
            expect(f"committed partition {tp.partition} after restart", tp.offset, c.GROUP_COMMIT_OFFSET)
        cons.subscribe([topic])
        first = {}
        deadline = time.time() + 30
        while len(first) < c.GROUP_PARTITIONS and time.time() < deadline:
            msg = cons.poll(0.5)
            if msg is None or msg.error():
                continue
            if msg.partition() not in first:
                first[msg.partition()] = msg.offset()
                i = msg.offset() * c.GROUP_PARTITIONS + msg.partition()
                expect(f"key at partition {msg.partition()} offset {msg.offset()}", msg.key(), c.key(i))
        if len(first) < c.GROUP_PARTITIONS:
            raise c.Check(f"received from partitions {sorted(first)} only")
        for partition, offset in first.items():
            expect(f"first offset of partition {partition}", offset, c.GROUP_COMMIT_OFFSET)
    finally:
        cons.close()
    return f"resumed at offset {c.GROUP_COMMIT_OFFSET} on 4 partitions"


def read_txn_output(bootstrap, topic, isolation, count):
    """Reads the output topic from the start until `count` records arrived, then 2 s more for extras."""
    cons = consumer(bootstrap, extra={"isolation.level": isolation})
    records = []
    try:
        cons.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(c.TXN_PARTITIONS)])
        deadline = time.time() + 30
        grace = None
        while time.time() < deadline and (grace is None or time.time() < grace):
            for msg in cons.consume(num_messages=1000, timeout=0.5):
                if msg.error():
                    if msg.error().code() == confluent_kafka.KafkaError._PARTITION_EOF:
                        continue
                    raise c.Check(f"consume error: {msg.error()}")
                records.append((msg.partition(), msg.key(), msg.value()))
            if grace is None and len(records) >= count:
                grace = time.time() + 2
    finally:
        cons.close()
    return records


def transactions(bootstrap, prefix):
    source, sink, group = f"{prefix}-txn-in", f"{prefix}-txn-out", f"{prefix}-txn-group"
    create_topic(bootstrap, source, c.TXN_PARTITIONS)
    create_topic(bootstrap, sink, c.TXN_PARTITIONS)
    p = producer(bootstrap, "all", "none", idempotent=True)
    for i in range(c.TXN_INPUT):
        p.produce(source, value=c.value(i), key=c.key(i), partition=i % c.TXN_PARTITIONS)
    if p.flush(30):
        raise c.Check("input not delivered after 30 s")

    tp = Producer({**c.librdkafka_security(), "bootstrap.servers": bootstrap, "client.id": CLIENT_ID,
                   "transactional.id": f"{prefix}-txn", "linger.ms": 5})
    tp.init_transactions(30)
    cons = consumer(bootstrap, group, {"isolation.level": "read_committed"})
    processed = 0
    done = 0
    try:
        cons.subscribe([source])
        deadline = time.time() + 60
        while processed < c.TXN_INPUT:
            if time.time() > deadline:
                raise c.Check(f"processed {processed} of {c.TXN_INPUT} input records in 60 s")
            msgs = [m for m in cons.consume(num_messages=50, timeout=0.5) if not m.error()]
            if not msgs:
                continue
            tp.begin_transaction()
            for m in msgs:
                tp.produce(sink, key=m.key(), value=m.value() + b"-out", partition=m.partition())
            tp.send_offsets_to_transaction(cons.position(cons.assignment()), cons.consumer_group_metadata(), 30)
            tp.commit_transaction(30)
            processed += len(msgs)
            done += 1
    finally:
        cons.close()
    # One transaction aborted, then a committed one a read_committed reader must get past it to.
    tp.begin_transaction()
    for i in range(c.TXN_ABORTED):
        tp.produce(sink, key=f"aborted-{i}".encode(), value=b"aborted", partition=i % c.TXN_PARTITIONS)
    tp.flush(30)
    tp.abort_transaction(30)
    tp.begin_transaction()
    tp.produce(sink, key=b"tail", value=b"tail", partition=0)
    tp.commit_transaction(30)

    committed = read_txn_output(bootstrap, sink, "read_committed", c.TXN_INPUT + 1)
    c.check_txn_output(committed, False)
    uncommitted = read_txn_output(bootstrap, sink, "read_uncommitted", c.TXN_INPUT + 1 + c.TXN_ABORTED)
    c.check_txn_output(uncommitted, True)
    check = consumer(bootstrap, group)
    try:
        for tpo in check.committed([TopicPartition(source, p) for p in range(c.TXN_PARTITIONS)], timeout=20):
            expect(f"group's committed offset of {source}-{tpo.partition}", tpo.offset, c.TXN_INPUT // c.TXN_PARTITIONS)
    finally:
        check.close()
    return (f"{c.TXN_INPUT} records in {done} transactions (send_offsets_to_transaction), {c.TXN_ABORTED} aborted: "
            f"read_committed {len(committed)}, read_uncommitted {len(uncommitted)}")


if __name__ == "__main__":
    scenarios = {
        "metadata": metadata, "list-offsets": list_offsets, "idempotent": idempotent, "long-poll": long_poll,
        "transactions": transactions, "group-resume-1": group_resume_commit, "group-resume-2": group_resume_check,
    }
    for codec in c.CODECS:
        scenarios[f"produce-consume-{codec}"] = produce_consume(codec)
    c.main([f"confluent-kafka {confluent_kafka.version()} (librdkafka {confluent_kafka.libversion()[0]})"],
           scenarios)
