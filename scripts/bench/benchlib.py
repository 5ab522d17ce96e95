#!/usr/bin/env python3
"""benchlib.py - the measuring helpers of scripts/bench/run.sh.

    benchlib.py snap NS... > FILE     CPU time of every process in the
                                      network namespaces NS (by name, as in
                                      /run/netns) and of ksoftirqd/*
    benchlib.py cpu A B [WHO...]      seconds of CPU between two snapshots,
                                      for all of them, or only those WHO
                                      names: a namespace, "ksoftirqd",
                                      comm:NAME (processes called NAME) or
                                      pid:PID (that process)
    benchlib.py run OUT CMD...        run CMD, write its user+system CPU
                                      seconds (children included) to OUT,
                                      exit with its status
    benchlib.py sipp CSV              sipp's -trace_stat file: "created ok
                                      failed retrans elapsed_s rtt_ms"
    benchlib.py progs NS DEV...       ids of the XDP programs on DEVs
    benchlib.py bpfstat ID...         "run_time_ns run_cnt" summed

CPU times come from /proc/PID/stat (utime + stime of every thread of the
process, in clock ticks). The kernel scales the tick samples so that their
sum is the task's exact run time; what a tick-sampled /proc/stat misses
for bursty load is not lost here. This kernel has no IRQ time accounting,
so softirq work (veth NAPI, XDP programs) is inside the time of whichever
task it interrupted, or of ksoftirqd.
"""
import csv
import json
import os
import resource
import subprocess
import sys

HZ = os.sysconf('SC_CLK_TCK')


def ns_inode(name):
    return os.stat('/run/netns/' + name).st_ino


def proc_ticks(pid):
    """(utime + stime, start time, comm) of a process, or None."""
    try:
        with open('/proc/%s/stat' % pid) as f:
            s = f.read()
    except OSError:
        return None
    comm = s[s.index('(') + 1:s.rindex(')')]
    f = s[s.rindex(')') + 2:].split()
    # After the comm: state is field 3, so utime (14) is f[11].
    return int(f[11]) + int(f[12]), f[19], comm


def snap(names):
    want = {ns_inode(n): n for n in names}
    out = {}
    for pid in os.listdir('/proc'):
        if not pid.isdigit():
            continue
        try:
            link = os.readlink('/proc/%s/ns/net' % pid)
        except OSError:
            link = ''
        t = proc_ticks(pid)
        if t is None:
            continue
        ticks, start, comm = t
        ino = int(link[5:-1]) if link.startswith('net:[') else 0
        if ino in want:
            where = want[ino]
        elif comm.startswith('ksoftirqd/'):
            where = 'ksoftirqd'
        else:
            continue
        out['%s:%s' % (pid, start)] = [ticks, where, comm]
    return out


def cpu(a, b, only):
    """CPU seconds used between snapshots a and b; a process that started
    after a counts with all its time."""
    total = 0
    for key, (ticks, where, comm) in b.items():
        if (only and where not in only and 'comm:' + comm not in only
                and 'pid:' + key.split(':')[0] not in only):
            continue
        total += ticks - (a[key][0] if key in a else 0)
    return total / HZ


def run(out, cmd):
    proc = subprocess.Popen(cmd)
    _, status, ru = os.wait4(proc.pid, 0)
    with open(out, 'w') as f:
        f.write('%.3f\n' % (ru.ru_utime + ru.ru_stime))
    return os.waitstatus_to_exitcode(status)


def hms(v):
    """sipp's times: HH:MM:SS:USEC or plain seconds."""
    p = v.split(':')
    if len(p) == 4:
        return int(p[0]) * 3600 + int(p[1]) * 60 + int(p[2]) + int(p[3]) / 1e6
    return float(v)


def sipp(path):
    rows = [r for r in csv.reader(open(path), delimiter=';') if r]
    head, last = rows[0], rows[-1]
    get = lambda k: last[head.index(k)]
    epoch = lambda k: float(get(k).split('\t')[-1])
    rtt = ''
    if 'ResponseTime1(C)' in head:
        rtt = '%.3f' % (hms(get('ResponseTime1(C)')) * 1000)
    print(get('TotalCallCreated'), get('SuccessfulCall(C)'),
          get('FailedCall(C)'), get('Retransmissions(C)'),
          '%.3f' % (epoch('CurrentTime') - epoch('StartTime')), rtt or '-')


def progs(ns, devs):
    ids = set()
    for dev in devs:
        j = json.loads(subprocess.check_output(
            ['ip', '-n', ns, '-j', '-d', 'link', 'show', 'dev', dev]))
        xdp = j[0].get('xdp', {})
        for p in [xdp.get('prog')] + [a.get('prog') for a in
                                      xdp.get('attached', [])]:
            if p and 'id' in p:
                ids.add(p['id'])
    print(' '.join(str(i) for i in sorted(ids)))


def bpfstat(ids):
    t = c = 0
    for i in ids:
        j = json.loads(subprocess.check_output(
            ['bpftool', '-j', 'prog', 'show', 'id', i]))
        t += j.get('run_time_ns', 0)
        c += j.get('run_cnt', 0)
    print(t, c)


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == 'snap':
        json.dump(snap(args), sys.stdout)
    elif cmd == 'cpu':
        a, b = (json.load(open(p)) for p in args[:2])
        print('%.3f' % cpu(a, b, set(args[2:])))
    elif cmd == 'run':
        sys.exit(run(args[0], args[1:]))
    elif cmd == 'sipp':
        sipp(args[0])
    elif cmd == 'progs':
        progs(args[0], args[1:])
    elif cmd == 'bpfstat':
        bpfstat(args)
    else:
        sys.exit('benchlib.py: unknown command ' + cmd)


if __name__ == '__main__':
    main()
