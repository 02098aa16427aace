#!/usr/bin/env bash
# Old against new, alternating, in one run: for each round, each tree's broker (started from that
# tree, --fsync never, a fresh data dir) gets the same produce, catch-up consume and end-to-end
# loads from the NEW tree's load generator; the order of the two trees flips every round. Prints
# every run and the per-round new/old ratios. Usage:
#   bench/ab.sh --old DIR --new DIR [--rounds 3] [--duration 8s] [--e2e-rate 10000]
# Make DIR with `git worktree add /tmp/old <commit>` and link node_modules into it.
set -euo pipefail
old="" new="" rounds=3 duration=8s e2e_rate=10000 port=19301
while [ $# -gt 0 ]; do
  case "$1" in
    --old) old="$2"; shift 2 ;;
    --new) new="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --e2e-rate) e2e_rate="$2"; shift 2 ;;
    --port) port="$2"; shift 2 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
[ -n "$old" ] && [ -n "$new" ] || { echo "usage: bench/ab.sh --old DIR --new DIR" >&2; exit 2; }
out="$(mktemp -d)"
broker_pid=""
trap '[ -n "$broker_pid" ] && kill "$broker_pid" 2>/dev/null; rm -rf "$out/data"' EXIT

run_tree() { # name dir round
  local name="$1" dir="$2" round="$3" tag="$1-$3"
  rm -rf "$out/data"
  (cd "$dir" && exec node src/cli/main.ts start --fsync never --port "$port" --http-port -1 --data-dir "$out/data" >"$out/$tag.log" 2>&1) &
  broker_pid=$!
  for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
  local b=(node "$new/bench/cli.ts")
  "${b[@]}" produce -b "127.0.0.1:$port" -t ab -d "$duration" --progress-interval 0 --json "$out/$tag-produce.json" >/dev/null
  "${b[@]}" consume -b "127.0.0.1:$port" -t ab --progress-interval 0 --json "$out/$tag-consume.json" >/dev/null
  "${b[@]}" e2e -b "127.0.0.1:$port" -t ab-e2e -d "$duration" -r "$e2e_rate" --progress-interval 0 --json "$out/$tag-e2e.json" >/dev/null
  kill "$broker_pid"; wait "$broker_pid" 2>/dev/null || true; broker_pid=""
}

for round in $(seq "$rounds"); do
  if [ $((round % 2)) = 1 ]; then order="old new"; else order="new old"; fi
  for name in $order; do
    if [ "$name" = old ]; then run_tree old "$old" "$round"; else run_tree new "$new" "$round"; fi
  done
done

node -e '
const fs = require("fs"); const [dir, rounds] = [process.argv[1], Number(process.argv[2])];
const read = (t, r, m) => JSON.parse(fs.readFileSync(`${dir}/${t}-${r}-${m}.json`, "utf8"));
const p99 = (e) => e.endToEnd.latency.p99Ms;
console.log("round | tree | produce rec/s | consume MB/s | e2e p99 ms");
const ratios = [];
for (let r = 1; r <= rounds; r++) {
  const row = {};
  for (const t of ["old", "new"]) {
    const p = read(t, r, "produce").produce.recordsPerSec, c = read(t, r, "consume").consume.mbPerSec, e = p99(read(t, r, "e2e"));
    row[t] = { p, c, e };
    console.log(`${r} | ${t} | ${Math.round(p)} | ${c.toFixed(1)} | ${Number(e).toFixed(2)}`);
  }
  ratios.push([row.new.p / row.old.p, row.new.c / row.old.c, row.new.e / row.old.e]);
}
for (const [i, name] of ["produce", "consume", "e2e p99"].entries()) console.log(`new/old ${name}: ${ratios.map((x) => x[i].toFixed(2)).join(", ")}`);
' "$out" "$rounds"
