#!/usr/bin/env python3
"""Where the machine's CPU went during one bench row, from system-wide perf samples.

Reads `perf script -F comm,pid,tid,ip,dso` on stdin (one line per sample, taken on every CPU at a
fixed rate, idle included as pid 0) and prints the share of all CPU time by process (each
cluster node, named by the PID=LABEL arguments; wrk; everything else) and, within the nodes of
each system, by thread group (threads named alike, digits dropped), with the part spent in the
kernel. Used by `bench/compare.sh --cpu`.

usage: perf script -G -F comm,pid,tid,ip,dso -i FILE | cpu_share.py TITLE PID=LABEL...
"""
import collections
import re
import sys

# Thread names (as the kernel keeps them: 15 characters) -> what they do. First match wins.
GROUPS = [
    (r"^skiff-raft-send", "raft transport: senders"),
    (r"^skiff-raft-", "raft transport: server I/O"),
    (r"^XNIO-\d+ I/O", "API: HTTP I/O threads"),
    (r"^XNIO-\d+ task|^XNIO-\d+ Accept", "API: worker threads"),
    (r"^raft-loop", "raft loop"),
    (r"^raft-log-writ", "log writer (appends, fsync)"),
    (r"^raft-fsm", "state machine"),
    (r"^raft-timer|^session-timers", "timers"),
    (r"^ForkJoinPool", "virtual threads (snapshots, forwards, ...)"),
    (r"^C[12] Compiler", "JIT compilers"),
    (r"^GC Thread|^G1 |^ZGC|^Z[A-Z]|^VM Thread", "GC and VM"),
]


def group_of(comm):
    for pattern, name in GROUPS:
        if re.search(pattern, comm):
            return name
    return re.sub(r"\d+", "N", comm)


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    title = sys.argv[1]
    labels = {}
    for arg in sys.argv[2:]:
        pid, _, label = arg.partition("=")
        labels[pid] = label
    total = 0
    idle = 0
    by_process = collections.Counter()
    by_process_kernel = collections.Counter()
    by_group = collections.defaultdict(collections.Counter)
    by_group_kernel = collections.defaultdict(collections.Counter)
    for line in sys.stdin:
        # "  comm  pid/tid  (dso)" with comm possibly containing spaces: split from the right.
        m = re.match(r"^\s*(.*?)\s+(\d+)\/(\d+)\s+(?:[0-9a-f]+\s+)?\((.*)\)\s*$", line)
        if not m:
            continue
        comm, pid, _tid, dso = m.groups()
        total += 1
        if pid == "0":
            idle += 1
            continue
        kernel = "kernel" in dso or dso.startswith("[")
        if pid in labels:
            process = labels[pid]
        elif comm == "wrk":
            process = "wrk (load generator)"
        else:
            process = "other"
        by_process[process] += 1
        by_process_kernel[process] += kernel
        if pid in labels:
            system = labels[pid].split()[0]
            group = group_of(comm)
            by_group[system][group] += 1
            by_group_kernel[system][group] += kernel
    if total == 0:
        print(f"{title}: no samples")
        return

    def pct(n):
        return 100.0 * n / total

    print(f"{title}: {total} samples, idle {pct(idle):.1f} %")
    print(f"  {'process':<44} {'CPU %':>7} {'kernel %':>9}")
    for process, n in by_process.most_common():
        print(f"  {process:<44} {pct(n):7.1f} {pct(by_process_kernel[process]):9.1f}")
    for system, groups in by_group.items():
        print(f"  {system} threads, all nodes:")
        for group, n in groups.most_common():
            if pct(n) >= 0.5:
                print(f"    {group:<42} {pct(n):7.1f} {pct(by_group_kernel[system][group]):9.1f}")
    print()


if __name__ == "__main__":
    main()
