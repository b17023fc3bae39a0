#!/usr/bin/env python3
"""The tables of BENCHMARKS.md's greeter section from bench/greeter/run.sh's raw file(s) (raw.tsv, or the copies in
bench/greeter/results/): medians over the repeats of each server's figures, and the medians (with their range) of the
per-repeat ratios ours/C++ and ours/Go of RPC/s and of RPC/s per server core. RPC/s per server core is RPC/s over the
server's CPU use in cores, that is 1 / (server CPU time per RPC): its ratio ours/peer in a repeat is the peer's CPU per
RPC over ours. Several files: their repeats are pooled (numbered apart).
Usage: python3 bench/greeter/summarize.py RAW.tsv [RAW.tsv...]"""
import collections
import statistics
import sys

runs = collections.defaultdict(dict)
for n, path in enumerate(sys.argv[1:]):
    with open(path) as f:
        next(f)
        for line in f:
            gen, level, rep, server, rps, p50, p99, _calls, cpu = line.rstrip('\n').split('\t')
            runs[(gen, int(level))].setdefault((n, int(rep)), {})[server] = {
                'rps': float(rps), 'p50': float(p50), 'p99': float(p99), 'cpu': float(cpu)}
if not runs:
    sys.exit(__doc__)
order = sorted(runs, key=lambda k: (k[0] != 'h2load', k[1]))
name = {'h2load': 'h2load', 'client': 'greeter-client'}


def med(reps, s, f):
    return statistics.median(r[s][f] for r in reps.values() if s in r)


def ratio(reps, peer, per_core):
    xs = [(r[peer]['cpu'] / r['ours']['cpu']) if per_core else (r['ours']['rps'] / r[peer]['rps'])
          for r in reps.values() if 'ours' in r and peer in r]
    return f"{statistics.median(xs):.2f} ({min(xs):.2f}–{max(xs):.2f})", sum(x >= 1 for x in xs), len(xs)


print('| load generator | outstanding | RPC/s: ours / C++ / Go | p50 / p99 µs: ours | C++ | Go '
      '| server CPU µs per RPC: ours / C++ / Go |')
print('|---|---|---|---|---|---|---|')
for k in order:
    r = runs[k]
    print(f"| {name[k[0]]} | {k[1]} | " + ' / '.join(f"{med(r, s, 'rps'):.0f}" for s in ('ours', 'cpp', 'go')) + ' | '
          + ' | '.join(f"{med(r, s, 'p50'):.0f} / {med(r, s, 'p99'):.0f}" for s in ('ours', 'cpp', 'go')) + ' | '
          + ' / '.join(f"{med(r, s, 'cpu'):.1f}" for s in ('ours', 'cpp', 'go')) + ' |')
print()
print('| load generator | outstanding | ours/C++ RPC/s | ours/Go RPC/s | ours/C++ RPC/s per server core '
      '| ours/Go RPC/s per server core |')
print('|---|---|---|---|---|---|')
for k in order:
    r = runs[k]
    cells = [ratio(r, 'cpp', False)[0], ratio(r, 'go', False)[0]]
    for peer in ('cpp', 'go'):
        text, hits, n = ratio(r, peer, True)
        cells.append(f"{text}, ≥ 1 in {hits} of {n}")
    print(f"| {name[k[0]]} | {k[1]} | " + ' | '.join(cells) + ' |')
