#!/usr/bin/env python3
"""report.py - where the requests of some calls went, from the sipp UAS
message logs (-trace_shortmsg) of the worker hosts.

    report.py WORKDIR N REGEX

reads WORKDIR/uas1.tsv..uasN.tsv and, for the Call-IDs matching REGEX,
prints "backend I calls N INVITE N ACK N BYE N" per backend, then
"callids N", "split N" (a call's requests at several backends) and
"incomplete N" (a backend holding part of a call lacks its INVITE, ACK
or BYE).
"""
import collections
import re
import sys

work, n, pat = sys.argv[1], int(sys.argv[2]), re.compile(sys.argv[3])
where = collections.defaultdict(set)
seen = collections.defaultdict(set)
for i in range(1, n + 1):
    per, calls = collections.Counter(), set()
    try:
        lines = open('%s/uas%d.tsv' % (work, i)).read().splitlines()
    except OSError:
        lines = []
    for line in lines:
        f = line.split('\t')
        if len(f) < 7 or f[3] != 'R' or not pat.search(f[4]):
            continue
        method = f[6].split(' ', 1)[0]
        per[method] += 1
        calls.add(f[4])
        where[f[4]].add(i)
        seen[(f[4], i)].add(method)
    print('backend %d calls %d INVITE %d ACK %d BYE %d'
          % (i, len(calls), per['INVITE'], per['ACK'], per['BYE']))
print('callids %d' % len(where))
print('split %d' % sum(len(b) > 1 for b in where.values()))
print('incomplete %d' % sum(
    any({'INVITE', 'ACK', 'BYE'} - seen[(c, i)] for i in b)
    for c, b in where.items()))
