# Shared by the Python compatibility drivers: argument parsing, the records every driver writes,
# their verification and the PASS/FAIL/SKIP reporting of docs/compat.md.
import argparse
import os
import sys
import traceback

RECORDS = 5000
PARTITIONS = 3
GROUP_PARTITIONS = 4
GROUP_RECORDS_PER_PARTITION = 100
GROUP_COMMIT_OFFSET = 50
LONG_POLL_MAX_WAIT_MS = 5000
CODECS = ["none", "gzip", "snappy", "lz4", "zstd"]
ALL = (["metadata"] + [f"produce-consume-{c}" for c in CODECS]
       + ["list-offsets", "idempotent", "long-poll", "transactions", "group-resume-1"])
# The transactions scenario (docs/compat.md): input records, aborted records, partitions.
TXN_INPUT = 300
TXN_ABORTED = 10
TXN_PARTITIONS = 3
PAD = "0123456789" * 8
NOT_INSTALLED_EXIT = 3


class Skip(Exception):
    """The client cannot do what the scenario asks."""


class Check(Exception):
    """A scenario check failed."""


def key(i):
    return f"key-{i}".encode()


def value(i):
    return f"value-{i}-{PAD}".encode()


def headers(i, client):
    return [("index", str(i).encode()), ("client", client.encode())]


def verify(by_partition, count, partitions, client):
    """by_partition: {partition: [(offset, key, value, headers)]}; every record once, in order."""
    total = 0
    for p in range(partitions):
        records = by_partition.get(p, [])
        expected = (count - p + partitions - 1) // partitions
        if len(records) != expected:
            raise Check(f"partition {p}: {len(records)} records, expected {expected}")
        for j, (offset, k, v, h) in enumerate(records):
            i = j * partitions + p
            if offset != j:
                raise Check(f"partition {p}: record {j} has offset {offset}")
            if k != key(i) or v != value(i):
                raise Check(f"partition {p} offset {j}: key {k!r} differs from record {i}")
            if [(name, bytes(val)) for name, val in (h or [])] != headers(i, client):
                raise Check(f"partition {p} offset {j}: headers differ: {h!r}")
        total += len(records)
    if total != count:
        raise Check(f"{total} records read, expected {count}")


def check_txn_output(records, with_aborted):
    """records: [(partition, key bytes, value bytes)] of the transactions scenario's output topic:
    every input record transformed exactly once (value + b"-out", same partition), the committed
    b"tail" record written after the abort, and the aborted records only when read_uncommitted."""
    what = "read_uncommitted" if with_aborted else "read_committed"
    seen = set()
    aborted = 0
    for partition, k, v in records:
        if k in seen:
            raise Check(f"{what}: key {k!r} read twice")
        seen.add(k)
        if k.startswith(b"aborted-"):
            aborted += 1
            continue
        if k == b"tail":
            continue
        i = int(k[len(b"key-"):])
        if v != value(i) + b"-out":
            raise Check(f"{what}: value of {k!r} differs")
        if partition != i % TXN_PARTITIONS:
            raise Check(f"{what}: {k!r} in partition {partition}")
    want_aborted = TXN_ABORTED if with_aborted else 0
    if aborted != want_aborted:
        raise Check(f"{what}: {aborted} aborted records, expected {want_aborted}")
    want = TXN_INPUT + 1 + want_aborted
    if len(records) != want:
        raise Check(f"{what}: {len(records)} records, expected {want}")
    if b"tail" not in seen:
        raise Check(f"{what}: the committed record after the abort was not read")


def main(client_versions, scenarios):
    """scenarios: {name: callable(bootstrap, prefix) -> detail string}."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--bootstrap", default="127.0.0.1:9092")
    parser.add_argument("--scenario", default="all")
    parser.add_argument("--topic-prefix", default="compat-python")
    args = parser.parse_args()
    for line in client_versions:
        print(f"VERSION {line}", flush=True)
    names = ALL if args.scenario == "all" else args.scenario.split(",")
    for name in names:
        run = scenarios.get(name)
        try:
            if run is None:
                raise Skip("unknown scenario")
            detail = run(args.bootstrap, args.topic_prefix)
            print(f"PASS {name}" + (f": {detail}" if detail else ""), flush=True)
        except Skip as skip:
            print(f"SKIP {name}: {skip}", flush=True)
        except Exception as failure:  # noqa: BLE001 - every failure is a scenario result
            traceback.print_exc(file=sys.stderr)
            reason = f"{type(failure).__name__}: {failure}".replace("\n", " ")
            print(f"FAIL {name}: {reason}", flush=True)


def librdkafka_security():
    """librdkafka settings for the runner's security mode (test/compat/run.ts --security)."""
    protocol = os.environ.get("COMPAT_SECURITY_PROTOCOL")
    if not protocol:
        return {}
    out = {"security.protocol": protocol}
    if os.environ.get("COMPAT_SASL_MECHANISM"):
        out.update({"sasl.mechanisms": os.environ["COMPAT_SASL_MECHANISM"],
                    "sasl.username": os.environ["COMPAT_SASL_USERNAME"],
                    "sasl.password": os.environ["COMPAT_SASL_PASSWORD"]})
    if os.environ.get("COMPAT_SSL_CA_FILE"):
        out["ssl.ca.location"] = os.environ["COMPAT_SSL_CA_FILE"]
    return out
