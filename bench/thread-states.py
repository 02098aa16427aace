#!/usr/bin/env python3
# Thread states of a running process (Linux /proc), for finding where a broker thread blocks:
# every 20 ms each thread's state, and the top kernel frames of threads in D state (needs root for
# /proc/<tid>/stack); every second one JSON line with Dirty/Writeback (MiB) and CPU ticks per busy thread.
# Usage: python3 bench/thread-states.py <pid> <out.jsonl>   (ends when the process exits)
import os, sys, time, collections, json
pid = sys.argv[1]; out = open(sys.argv[2], 'w')
def threads():
    try: return os.listdir(f'/proc/{pid}/task')
    except FileNotFoundError: return None
def meminfo():
    d = {}
    for l in open('/proc/meminfo'):
        k, v = l.split(':'); 
        if k in ('Dirty', 'Writeback'): d[k] = int(v.split()[0]) // 1024
    return d
last = time.time(); buckets = collections.Counter(); cpu0 = {}
while True:
    ts = threads()
    if ts is None: break
    for t in ts:
        try:
            st = open(f'/proc/{pid}/task/{t}/stat').read()
            rest = st[st.rindex(')') + 2:].split()
            comm = st[st.index('(') + 1:st.rindex(')')]
            if rest[0] == 'D':
                top = ''
                try:
                    stack = open(f'/proc/{pid}/task/{t}/stack').read().split('\n')
                    frames = [f.split(' ')[1].split('+')[0] for f in stack if f.strip()]
                    top = '<'.join(frames[:4])
                except Exception: pass
                buckets[f'{t}:{comm}:D:{top}'] += 1
        except Exception: pass
    now = time.time()
    if now - last >= 1:
        cpu = {}
        for t in ts:
            try:
                st = open(f'/proc/{pid}/task/{t}/stat').read(); rest = st[st.rindex(')') + 2:].split()
                cpu[t] = (int(rest[11]) + int(rest[12]))
            except Exception: pass
        busy = {t: cpu[t] - cpu0.get(t, cpu[t]) for t in cpu if cpu[t] - cpu0.get(t, cpu[t]) > 5}
        cpu0 = cpu
        out.write(json.dumps({'t': time.strftime('%H:%M:%S'), **meminfo(), 'cpu_ticks': busy, 'D': dict(buckets)}) + '\n'); out.flush()
        buckets.clear(); last = now
    time.sleep(0.02)
