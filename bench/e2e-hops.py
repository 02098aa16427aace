#!/usr/bin/env python3
# Per-hop delays of e2e batches from HIGHWATER_E2E_TRACE rows: where the time of the slowest records
# goes (issue 18). The tracing is a diagnostic patch, not part of the broker: `git apply
# bench/e2e-trace.patch`, run the broker and `bench e2e` with HIGHWATER_E2E_TRACE=<dir> (both), then
# python3 bench/e2e-hops.py <dir> [slow fraction, default 0.05]; `git apply -R` it afterwards.
import glob, sys, statistics

d = sys.argv[1]
frac = float(sys.argv[2]) if len(sys.argv) > 2 else 0.05
P, C, S, F, R = {}, {}, {}, {}, []
for f in glob.glob(f'{d}/*.tsv'):
    for line in open(f):
        x = line.rstrip('\n').split('\t')
        k = x[0]
        if k == 'P': P[(int(x[2]), int(x[3]))] = (int(x[1]), float(x[4]))
        elif k == 'C': C[(int(x[2]), int(x[3]))] = float(x[4])
        elif k == 'S': S[(int(x[1]), int(x[2]))] = tuple(float(v) for v in x[3:7]) + (int(x[7]),)
        elif k == 'F':
            key = (int(x[2]), int(x[3]))
            if key not in F: F[key] = (float(x[4]), float(x[5]), float(x[6]), int(x[7]))
        elif k == 'R': R.append((int(x[1]), int(x[2]), float(x[3]), float(x[4]), float(x[5]), int(x[6])))

rows = []
for part, ts, due, fsent, at, count in R:
    p = P.get((part, ts))
    if p is None: continue
    slot, recv = p
    s = S.get((slot, ts)); f = F.get((part, ts))
    if s is None or f is None: continue
    turn, drained, written, published, n = s
    fstart, wake, reply, waits = f
    waited = waits > 0 and fstart <= published
    readFrom = wake if waited else max(fstart, published)
    h = {
        'e2e': at - due,
        'gen(send-due)': ts - due,
        'send->recv': recv - ts,
        'recv->drain': drained - recv,
        'drain->written': written - drained,
        'written->pub': published - written,
        'pub->fetchstart(no poll waiting)': max(0.0, fstart - published),
        'pub->wake(long poll)': (wake - published) if waited else 0.0,
        'wake/start->reply': reply - readFrom,
        'reply->consumer': at - reply,
        'fetch waited': 1.0 if waited else 0.0,
    }
    rows.append((h, count))

if not rows:
    print('no joined rows'); sys.exit(1)
rows.sort(key=lambda r: r[0]['e2e'])
print(f'{len(rows)} batches joined (of {len(R)} read)')
def pct(v, q):
    v = sorted(v); return v[min(len(v) - 1, int(q * len(v)))]
keys = list(rows[0][0].keys())
slow = rows[int(len(rows) * (1 - frac)):]
fast = rows[:int(len(rows) * (1 - frac))]
print(f'{"hop":36} {"all p50":>9} {"all p99":>9} | {"slow mean":>9} {"slow p50":>9} {"slow max":>9} | {"rest mean":>9}')
for k in keys:
    a = [r[0][k] for r in rows]; sv = [r[0][k] for r in slow]; fv = [r[0][k] for r in fast]
    print(f'{k:36} {pct(a,.5):9.2f} {pct(a,.99):9.2f} | {statistics.mean(sv):9.2f} {pct(sv,.5):9.2f} {max(sv):9.2f} | {statistics.mean(fv):9.2f}')
