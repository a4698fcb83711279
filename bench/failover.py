#!/usr/bin/env python3
"""Failover probe for bench/compare.sh: kill -9 one process, then write through the survivors (a
new attempt every 20 ms, none cut short) until a write succeeds; prints the milliseconds from
the kill to that first success.

    failover.py --system skiff|etcd --pid PID --urls http://127.0.0.1:P1,http://127.0.0.1:P2 --key K

Only the given pid is signalled (compare.sh passes the leader it started itself); only the given
127.0.0.1 URLs are contacted. Exits 1 if no write succeeds within --limit seconds.
"""
import argparse
import base64
import http.client
import json
import os
import signal
import sys
import threading
import time
import urllib.parse


def write_once(system, url, key, timeout):
    u = urllib.parse.urlsplit(url)
    if u.hostname not in ("127.0.0.1", "localhost"):
        raise SystemExit("failover.py: refusing a non-loopback URL: " + url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
    try:
        if system == "skiff":
            conn.request("PUT", "/v1/kv/" + key, body=b"x" * 100,
                         headers={"Content-Type": "application/octet-stream"})
        else:
            body = json.dumps({"key": base64.b64encode(key.encode()).decode(),
                               "value": base64.b64encode(b"x" * 100).decode()})
            conn.request("POST", "/v3/kv/put", body=body, headers={"Content-Type": "application/json"})
        r = conn.getresponse()
        r.read()
        return r.status == 200
    except (OSError, http.client.HTTPException):
        return False
    finally:
        conn.close()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--system", choices=["skiff", "etcd"], required=True)
    p.add_argument("--pid", type=int, required=True)
    p.add_argument("--urls", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--limit", type=float, default=30.0)
    a = p.parse_args()
    urls = a.urls.split(",")
    start = time.monotonic()
    os.kill(a.pid, signal.SIGKILL)
    # A new attempt every 20 ms, each on its own thread with a long timeout: a survivor may hold
    # a write until it has a leader (etcd does), and that write's success is the moment to
    # measure, so no attempt is cut short and none waits for another.
    done = threading.Event()
    first = []
    lock = threading.Lock()

    def attempt(n):
        if write_once(a.system, urls[n % len(urls)], "%s/%d" % (a.key, n), timeout=a.limit):
            with lock:
                if not first:
                    first.append(time.monotonic() - start)
                    done.set()

    n = 0
    while not done.is_set() and time.monotonic() - start < a.limit:
        threading.Thread(target=attempt, args=(n,), daemon=True).start()
        n += 1
        done.wait(0.02)
    if first:
        print("%.1f" % (first[0] * 1000.0))
        return 0
    print("failover.py: no write succeeded within %.0f s" % a.limit, file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
