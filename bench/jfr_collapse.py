#!/usr/bin/env python3
"""Folds the stacks of one JFR event type into the collapsed format flame graph tools read.

    jfr print --json --events jdk.ExecutionSample rec.jfr | bench/jfr_collapse.py cpu > rec-cpu.collapsed
    jfr print --json --events jdk.ObjectAllocationSample rec.jfr | bench/jfr_collapse.py alloc > rec-alloc.collapsed

cpu: one count per execution sample, the sampled thread's name as the root frame (it is
what tells the hops of a request apart: raft loop, XNIO I/O, virtual threads, FSM).
alloc: the sample's weight in bytes, the allocated class as the leaf frame.
"""
import collections
import json
import re
import sys

# Numbered pools and virtual threads fold into one root frame each.
NUMBERED = re.compile(r"[-#]\d+$")


def frame(f):
    method = f["method"]
    return method["type"]["name"].split(".")[-1] + "." + method["name"]


def thread_name(thread):
    if not thread:
        return "?"
    name = thread.get("javaName") or thread.get("osName") or "?"
    return NUMBERED.sub("", name) or name


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in ("cpu", "alloc"):
        sys.exit(__doc__)
    kind = sys.argv[1]
    events = json.load(sys.stdin)["recording"]["events"]
    folded = collections.Counter()
    for event in events:
        values = event["values"]
        stack = values.get("stackTrace")
        if not stack:
            continue
        frames = [frame(f) for f in reversed(stack["frames"])]
        if kind == "cpu":
            folded[";".join(["[" + thread_name(values.get("sampledThread")) + "]"] + frames)] += 1
        else:
            cls = (values.get("objectClass") or {}).get("name", "?")
            folded[";".join(frames + ["new " + cls])] += int(values.get("weight", 0))
    for stack, count in folded.most_common():
        print(stack, count)


if __name__ == "__main__":
    main()
