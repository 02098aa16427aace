# Regression driver (issue 19, defects 5 and 6): what admin UIs read. Authorized operations
# through librdkafka's admin client (confluent-kafka), and DescribeLogDirs through kafka-python.
# Prints one JSON line; exits 3 when a client is not installed.
import argparse
import json
import sys

try:
    from confluent_kafka import TopicCollection
    from confluent_kafka.admin import AdminClient, NewTopic
    from kafka.admin import KafkaAdminClient
except ImportError as missing:
    print(f"not installed: {missing}", file=sys.stderr)
    sys.exit(3)

parser = argparse.ArgumentParser()
parser.add_argument("--bootstrap", required=True)
parser.add_argument("--topic", required=True)
args = parser.parse_args()
admin = AdminClient({"bootstrap.servers": args.bootstrap})
for f in admin.create_topics([NewTopic(args.topic, 2, 1)]).values():
    f.result(timeout=20)

out = {}
cluster = admin.describe_cluster(include_authorized_operations=True).result(timeout=20)
out["cluster_operations"] = sorted(op.name for op in (cluster.authorized_operations or []))
topics = admin.describe_topics(TopicCollection([args.topic]), include_authorized_operations=True)
topic = list(topics.values())[0].result(timeout=20)
out["topic_operations"] = sorted(op.name for op in (topic.authorized_operations or []))

kp = KafkaAdminClient(bootstrap_servers=args.bootstrap)
dirs = [d for broker in kp.describe_log_dirs() for d in broker["log_dirs"]]
out["log_dirs"] = len(dirs)
out["log_dir_errors"] = [d["error_code"] for d in dirs]
out["log_dir_partitions"] = sorted(p["partition_index"] for d in dirs for t in d["topics"] if t["name"] == args.topic for p in t["partitions"])
kp.close()
print(json.dumps(out), flush=True)
