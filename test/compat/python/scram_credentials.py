# SCRAM credentials through librdkafka's admin client (confluent-kafka), what kafka-configs.sh
# --entity-type users does: AlterUserScramCredentials and DescribeUserScramCredentials, then a
# login as the new user and one with a wrong password. Prints one JSON line. Run against Highwater
# (test/compat/regressions/scram-credentials-through-librdkafka.test.ts) and Apache Kafka alike.
import argparse
import json

from confluent_kafka import Producer
from confluent_kafka.admin import (AdminClient, ScramCredentialInfo, ScramMechanism,
                                   UserScramCredentialDeletion, UserScramCredentialUpsertion)

parser = argparse.ArgumentParser()
parser.add_argument("--bootstrap", required=True)
parser.add_argument("--admin-user", default="admin")
parser.add_argument("--admin-password", default="admin-secret")
parser.add_argument("--user", default="carol")
args = parser.parse_args()

SASL = {"bootstrap.servers": args.bootstrap, "security.protocol": "SASL_PLAINTEXT"}


def error_of(future):
    try:
        future.result()
        return None
    except Exception as e:  # noqa: BLE001 - the KafkaException carries the broker's error
        err = e.args[0]
        return {"code": err.name(), "message": err.str()}


admin = AdminClient({**SASL, "sasl.mechanisms": "SCRAM-SHA-512", "sasl.username": args.admin_user,
                     "sasl.password": args.admin_password})
out = {}
altered = admin.alter_user_scram_credentials([
    UserScramCredentialUpsertion(args.user, ScramCredentialInfo(ScramMechanism.SCRAM_SHA_256, 8192), b"carol-secret", b"pepper"),
    UserScramCredentialDeletion("nobody-" + args.user, ScramMechanism.SCRAM_SHA_512),
])
out["alter"] = {("new" if u == args.user else "missing"): error_of(f) for u, f in altered.items()}
described = admin.describe_user_scram_credentials([args.user, "ghost-" + args.user])
out["describe"] = {}
for u, f in described.items():
    err = error_of(f)
    out["describe"]["new" if u == args.user else "ghost"] = err or [
        {"mechanism": i.mechanism.name, "iterations": i.iterations} for i in f.result().scram_credential_infos]


def login(password):
    errors = []
    p = Producer({**SASL, "sasl.mechanisms": "SCRAM-SHA-256", "sasl.username": args.user, "sasl.password": password,
                  "error_cb": lambda e: errors.append(e.str())})
    delivered = []
    p.produce("scram-" + args.user, b"v", callback=lambda err, _m: delivered.append(err))
    p.flush(10)
    if delivered and delivered[0] is None:
        return "delivered"
    return "refused: " + ("invalid credentials" if any("invalid credentials" in e for e in errors) else "; ".join(errors[:1]))


out["login"] = login("carol-secret")
out["wrong_password"] = login("not-it")
print(json.dumps(out))
