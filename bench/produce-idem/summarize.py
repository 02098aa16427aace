#!/usr/bin/env python3
# Summary of an idem-rounds.sh log: per target, the idempotent/plain rate ratio of each round, its
# median, and the medians of the producer's request latency, the broker's CPU per GB and (when
# the log has it) the producer JVM's CPU per GB. Usage: python3 summarize.py LOG
import re, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    if line.startswith('#') or '|' not in line: continue
    head, metrics, *rest = [p.strip() for p in line.split('|')]
    rnd, target, idem, rate = head.split()[:4]
    cells = ' '.join(rest)
    client = re.search(r'client_cpu=[0-9.]+s \(([0-9.]+) s/GB\)', cells)
    broker = re.search(r'total=[0-9.]+s \(([0-9.]+) s/GB\)', cells)
    rows.setdefault(target, {}).setdefault(rnd, {})[idem] = {
        'rate': float(rate), 'lat': float(metrics.split()[0]),
        'broker': float(broker.group(1)) if broker else None, 'client': float(client.group(1)) if client else None}
med = lambda xs: statistics.median(xs) if xs else float('nan')
print('target | idem/plain rec/s per round | median | req latency ms idem/plain | broker s/GB idem/plain | producer JVM s/GB idem/plain')
for target, rounds in rows.items():
    pairs = [r for r in rounds.values() if 'true' in r and 'false' in r]
    ratios = [p['true']['rate'] / p['false']['rate'] for p in pairs]
    col = lambda k, m: med([p[m][k] for p in pairs if p[m][k] is not None])
    print(f"{target} | {', '.join(f'{r:.2f}' for r in ratios)} | {med(ratios):.2f} | {col('lat', 'true'):.2f}/{col('lat', 'false'):.2f}"
          f" | {col('broker', 'true'):.2f}/{col('broker', 'false'):.2f} | {col('client', 'true'):.2f}/{col('client', 'false'):.2f}")
