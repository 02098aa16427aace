# Regression driver (issue 19, defects 3 and 4), through librdkafka's admin client
# (confluent-kafka): AlterConfigs (key 33) replaces a topic's dynamic configs, and
# IncrementalAlterConfigs serves broker resources and APPEND/SUBTRACT on list settings.
# Prints one JSON line of what it observed; exits 3 when confluent-kafka is not installed.
import argparse
import json
import sys

try:
    from confluent_kafka.admin import (AdminClient, AlterConfigOpType, ConfigEntry, ConfigResource,
                                       ConfigSource, NewTopic)
except ImportError as missing:
    print(f"not installed: {missing}", file=sys.stderr)
    sys.exit(3)

parser = argparse.ArgumentParser()
parser.add_argument("--bootstrap", required=True)
parser.add_argument("--topic", required=True)
args = parser.parse_args()
admin = AdminClient({"bootstrap.servers": args.bootstrap})
for f in admin.create_topics([NewTopic(args.topic, 1, 1)]).values():
    f.result(timeout=20)


def describe(restype, name, keys):
    resource = ConfigResource(restype, name)
    entries = list(admin.describe_configs([resource]).values())[0].result(timeout=20)
    return {k: {"value": entries[k].value, "source": ConfigSource(entries[k].source).name} for k in keys if k in entries}


out = {}
# AlterConfigs: two settings, then only one: the other goes back to its default.
topic = ConfigResource("TOPIC", args.topic, set_config={"retention.ms": "3600000", "max.message.bytes": "500000"})
for f in admin.alter_configs([topic]).values():
    f.result(timeout=20)
out["after_alter_two"] = describe("TOPIC", args.topic, ["retention.ms", "max.message.bytes"])
topic = ConfigResource("TOPIC", args.topic, set_config={"max.message.bytes": "600000"})
for f in admin.alter_configs([topic]).values():
    f.result(timeout=20)
out["after_alter_one"] = describe("TOPIC", args.topic, ["retention.ms", "max.message.bytes"])

# IncrementalAlterConfigs on the broker: a dynamic default every topic without its own value uses.
broker = ConfigResource("BROKER", "1", incremental_configs=[
    ConfigEntry("log.retention.ms", "86400000", incremental_operation=AlterConfigOpType.SET)])
for f in admin.incremental_alter_configs([broker]).values():
    f.result(timeout=20)
out["broker"] = describe("BROKER", "1", ["log.retention.ms"])
out["topic_inherits"] = describe("TOPIC", args.topic, ["retention.ms"])

# APPEND and SUBTRACT on a list setting (cleanup.policy; only `delete` is served until compaction).
for op in (AlterConfigOpType.SUBTRACT, AlterConfigOpType.APPEND):
    res = ConfigResource("TOPIC", args.topic, incremental_configs=[ConfigEntry("cleanup.policy", "delete", incremental_operation=op)])
    try:
        for f in admin.incremental_alter_configs([res]).values():
            f.result(timeout=20)
        out[f"cleanup_{op.name}"] = describe("TOPIC", args.topic, ["cleanup.policy"])
    except Exception as failure:  # noqa: BLE001 - the refusal is the result
        out[f"cleanup_{op.name}"] = {"error": str(failure)}
append_compact = ConfigResource("TOPIC", args.topic, incremental_configs=[
    ConfigEntry("cleanup.policy", "compact", incremental_operation=AlterConfigOpType.APPEND)])
try:
    for f in admin.incremental_alter_configs([append_compact]).values():
        f.result(timeout=20)
    out["append_compact"] = "accepted"
except Exception as failure:  # noqa: BLE001
    out["append_compact"] = "refused"
print(json.dumps(out), flush=True)
