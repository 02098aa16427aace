#!/usr/bin/env bash
# Installs the Kafka clients the compatibility drivers in test/compat/ use, and Apache Kafka itself
# (bench/kafka/fetch.sh). Idempotent: what is present is skipped. A client that fails to install
# is reported as "not installed: <reason>" and the script goes on; it exits non-zero only when
# every client failed. Usage: scripts/install-compat-clients.sh [--skip-kafka] [--skip-node]
# (--skip-node: not the librdkafka-based Node clients, scripts/install-node-clients.sh).
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export PATH="$root/node_modules/.bin:$PATH:/usr/local/go/bin"
compat="$root/test/compat"
skip_kafka=0 skip_node=0
for arg in "$@"; do
  case "$arg" in
    --skip-kafka) skip_kafka=1 ;;
    --skip-node) skip_node=1 ;;
    *) echo "unknown argument $arg" >&2; exit 2 ;;
  esac
done

declare -a report=()
installed=0 failed=0
ok() { report+=("installed: $1"); installed=$((installed + 1)); }
not_ok() { report+=("not installed: $1: $2"); failed=$((failed + 1)); }
step() { echo "== $1 ($(date +%T))" >&2; }
# Runs a step with its output in a log; on failure the last lines become the reason.
logged() {
  local log="$1"; shift
  if "$@" > "$log" 2>&1; then return 0; fi
  tail -3 "$log" | tr '\n' ' ' | cut -c1-300 > "$log.reason"
  return 1
}
logs="$(mktemp -d)"
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo -n "$@"; fi; }
apt_install() { as_root apt-get update -qq && DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@"; }

# -- kcat and librdkafka (Debian) --------------------------------------------------------------
step "kcat (apt)"
apt_packages=(kcat zlib1g-dev libssl-dev libzstd-dev librdkafka-dev)
missing=()
for p in "${apt_packages[@]}"; do dpkg -s "$p" > /dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  logged "$logs/apt" apt_install "${missing[@]}" || true
fi
if command -v kcat > /dev/null 2>&1; then
  ok "kcat $(dpkg-query -W -f '${Version}' kcat) (librdkafka $(dpkg-query -W -f '${Version}' librdkafka1 2>/dev/null))"
else
  not_ok kcat "$(cat "$logs/apt.reason" 2>/dev/null || echo 'apt-get install kcat failed')"
fi

# -- Python: confluent-kafka, kafka-python (with its codec extras) ------------------------------
step "python clients (pip, venv)"
venv="$compat/python/.venv"
if [ ! -x "$venv/bin/python" ]; then
  logged "$logs/venv" python3 -m venv "$venv" || not_ok "python venv" "$(cat "$logs/venv.reason")"
fi
if [ -x "$venv/bin/python" ]; then
  if logged "$logs/pip" "$venv/bin/pip" install -q --upgrade confluent-kafka "kafka-python[crc32c,lz4,snappy,zstd]"; then
    ok "confluent-kafka $("$venv/bin/python" -c 'import confluent_kafka as k; print(k.version(), "(librdkafka", k.libversion()[0] + ")")')"
    ok "kafka-python $("$venv/bin/python" -c 'import kafka; print(kafka.__version__)')"
  else
    not_ok "confluent-kafka, kafka-python" "$(cat "$logs/pip.reason")"
  fi
fi

# -- Java: kafka-clients through Maven ------------------------------------------------------------
step "java client (maven)"
if logged "$logs/mvn" mvn -B -q -Dstyle.color=never -f "$compat/java/pom.xml" package -DskipTests; then
  ok "kafka-clients $(basename "$(tr ':' '\n' < "$compat/java/target/classpath.txt" | grep kafka-clients)" .jar | sed 's/kafka-clients-//')"
else
  not_ok kafka-clients "$(cat "$logs/mvn.reason")"
fi

# -- Services: Kafka Connect and a Kafka Streams app through Maven (test/compat/services) -------
# Skipped when target/classpath.txt is newer than the project's pom.xml and sources.
step "services: kafka connect, kafka streams (maven)"
for module in connect streams; do
  dir="$compat/services/$module"
  built="$dir/target/classpath.txt"
  if [ ! -f "$built" ] || [ -n "$(find "$dir/pom.xml" "$dir/src" -newer "$built" -type f 2>/dev/null | head -1)" ]; then
    # touch: the dependency plugin leaves an unchanged classpath file as it was, mtime included.
    if logged "$logs/mvn-$module" mvn -B -q -Dstyle.color=never -f "$dir/pom.xml" package -DskipTests; then
      touch "$built"
    else
      rm -f "$built"
    fi
  fi
  case "$module" in connect) artifact=connect-runtime ;; streams) artifact=kafka-streams ;; esac
  if [ -f "$built" ]; then
    ok "$artifact $(basename "$(tr ':' '\n' < "$built" | grep "/$artifact-[0-9]")" .jar | sed "s/$artifact-//") (services suite)"
  else
    not_ok "$artifact (services suite)" "$(cat "$logs/mvn-$module.reason" 2>/dev/null)"
  fi
done

# -- Go: franz-go (+kadm), Sarama and kafka-go ---------------------------------------------------
step "go clients (go module proxy)"
if command -v go > /dev/null 2>&1; then
  for driver in franz sarama kafkago; do
    if logged "$logs/go-$driver" sh -c "cd '$compat/go' && go build -o bin/$driver ./$driver"; then
      ok "$driver: $(cd "$compat/go" && go version -m "bin/$driver" | awk '/dep.*(franz-go|sarama|kafka-go)/ {printf "%s %s  ", $2, $3}')"
    else
      not_ok "$driver" "$(cat "$logs/go-$driver.reason")"
    fi
  done
  # The client projects' own suites (test/foreign/run.sh): sources and test binaries.
  if logged "$logs/go-foreign" "$root/test/foreign/run.sh" --prepare; then
    ok "foreign suites: franz-go kgo and kafka-go test binaries (test/foreign/run.sh)"
  else
    not_ok "foreign suites" "$(cat "$logs/go-foreign.reason")"
  fi
else
  not_ok "franz-go, sarama, kafka-go" "no go toolchain"
fi

# -- Node: @confluentinc/kafka-javascript, node-rdkafka (native builds, scripts/install-node-clients.sh)
if [ "$skip_node" = 0 ]; then
  step "node clients (npm, two native builds side by side, ~4 min)"
  while IFS= read -r line; do
    case "$line" in
      "installed: "*) ok "${line#installed: }" ;;
      "not installed: "*) rest="${line#not installed: }"; not_ok "${rest%%: *}" "${rest#*: }" ;;
    esac
  done < <("$root/scripts/install-node-clients.sh")
fi
for pkg in kafkajs @platformatic/kafka; do
  if [ -d "$root/node_modules/$pkg" ]; then
    ok "$pkg $(node -e "console.log(JSON.parse(require('fs').readFileSync('$root/node_modules/$pkg/package.json','utf8')).version)") (root project)"
  else
    not_ok "$pkg" "not in the root node_modules: run npm ci"
  fi
done

# -- Apache Kafka (the reference broker) --------------------------------------------------------
if [ "$skip_kafka" = 0 ]; then
  step "Apache Kafka (maven)"
  if logged "$logs/kafka" "$root/bench/kafka/fetch.sh"; then
    report+=("reference broker: $(tail -1 "$logs/kafka")")
  else
    report+=("reference broker not fetched: $(cat "$logs/kafka.reason")")
  fi
fi

echo
printf '%s\n' "${report[@]}"
rm -rf "$logs"
[ "$installed" -gt 0 ] || exit 1
exit 0
