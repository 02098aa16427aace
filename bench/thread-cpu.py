#!/usr/bin/env python3
# CPU seconds per thread group of a process, between two snapshots (Linux /proc): for "broker CPU
# seconds per MB served, per thread" in bench/catchup.sh. Threads are grouped by name (comm); the
# process's first thread is "main". Usage:
#   python3 bench/thread-cpu.py snap <pid> > a.json ... python3 bench/thread-cpu.py snap <pid> > b.json
#   python3 bench/thread-cpu.py diff a.json b.json [MB]   -> one line: group=seconds (s/GB) ...
import json, os, sys
HZ = os.sysconf('SC_CLK_TCK')
def snap(pid):
    out = {}
    for tid in os.listdir(f'/proc/{pid}/task'):
        try:
            st = open(f'/proc/{pid}/task/{tid}/stat').read()
        except FileNotFoundError:
            continue
        comm = st[st.index('(') + 1:st.rindex(')')]
        rest = st[st.rindex(')') + 2:].split()
        out[tid] = {'name': 'main' if tid == str(pid) else comm, 'ticks': int(rest[11]) + int(rest[12])}
    return out
if sys.argv[1] == 'snap':
    print(json.dumps(snap(sys.argv[2])))
else:
    a = json.load(open(sys.argv[2])); b = json.load(open(sys.argv[3]))
    mb = float(sys.argv[4]) if len(sys.argv) > 4 else 0
    groups = {}
    for tid, t in b.items():
        d = t['ticks'] - a.get(tid, {'ticks': 0})['ticks']
        groups[t['name']] = groups.get(t['name'], 0) + d
    total = sum(groups.values())
    parts = [f'{n}={v / HZ:.2f}s' + (f' ({v / HZ / mb * 1000:.2f} s/GB)' if mb > 0 else '') for n, v in sorted(groups.items(), key=lambda kv: -kv[1]) if v > 0]
    print(f'total={total / HZ:.2f}s' + (f' ({total / HZ / mb * 1000:.2f} s/GB)' if mb > 0 else '') + ' | ' + ', '.join(parts))
