#!/usr/bin/env python3
"""Blocking-read fan-out against one Skiff node (bench/watchers.sh runs it; issue #14).

Opens N idle blocking reads of one key (GET /v1/kv/KEY?index=I&wait=10m, API.md section 8)
on separate HTTP/1.1 connections, then, round after round, writes the key and times how long
each parked read takes to answer after the write was sent. Prints one JSON object:
{"watchers", "rounds", "open_seconds", "put_ms": [...], "wake_ms": {"p50","p99","max"} per
round and overall}. Between phases it waits for a line on stdin ("go") so that the wrapper can
measure the node's heap and threads while every read is parked.
"""
import asyncio
import json
import sys
import time


async def request(host, port, method, path, body=b""):
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(f"{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body)
    await writer.drain()
    status, headers, payload = await read_response(reader)
    writer.close()
    return status, headers, payload


async def read_response(reader):
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    n = int(headers.get("content-length", "0"))
    payload = await reader.readexactly(n) if n else b""
    return status, headers, payload


async def park(host, port, key, index, arrived, opened):
    """One watcher: a connection that sends a blocking read and records when its answer arrives."""
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(f"GET /v1/kv/{key}?index={index}&wait=10m HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
    await writer.drain()
    opened.append(1)
    status, headers, _ = await read_response(reader)
    arrived.append((time.monotonic(), status, int(headers.get("x-skiff-modify-index", "0"))))
    writer.close()


def percentile(sorted_values, p):
    if not sorted_values:
        return None
    i = min(len(sorted_values) - 1, max(0, int(round(p / 100.0 * len(sorted_values) + 0.5)) - 1))
    return sorted_values[i]


async def main():
    host, port, n, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    key = "bench/watched"
    status, _, body = await request(host, port, "PUT", f"/v1/kv/{key}", b"v0")
    if status != 200:
        raise SystemExit(f"watchers.py: the first write answered {status}")
    index = json.loads(body)["index"]  # the key's modifyIndex: what a blocking read of it waits to move
    result = {"watchers": n, "rounds": []}
    all_wakes = []
    loop = asyncio.get_running_loop()
    for r in range(rounds):
        arrived, opened = [], []
        started = time.monotonic()
        tasks = []
        for i in range(n):
            tasks.append(asyncio.create_task(park(host, port, key, index, arrived, opened)))
            if i % 500 == 499:
                await asyncio.sleep(0.01)  # let the node accept; a burst of 10,000 connects overflows the backlog
        while len(opened) < n:
            await asyncio.sleep(0.05)
        await asyncio.sleep(1.0)  # every request on the wire and parked
        open_seconds = time.monotonic() - started
        if arrived:
            raise SystemExit(f"watchers.py: {len(arrived)} reads answered before the write (not parked)")
        if r == 0:
            print("parked", flush=True)  # the wrapper measures the node now
            await loop.run_in_executor(None, sys.stdin.readline)
        sent = time.monotonic()
        status, _, body = await request(host, port, "PUT", f"/v1/kv/{key}", f"v{r + 1}".encode())
        acked = time.monotonic()
        index = json.loads(body)["index"]
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=120)
        bad = [a for a in arrived if a[1] != 200 or a[2] < index]
        if bad:
            raise SystemExit(f"watchers.py: {len(bad)} reads woke without the write (first: {bad[0]})")
        wakes = sorted((t - sent) * 1000.0 for t, _, _ in arrived)
        all_wakes.extend(wakes)
        result["rounds"].append({"open_seconds": round(open_seconds, 2), "put_ms": round((acked - sent) * 1000.0, 2),
                                 "wake_ms": {"p50": round(percentile(wakes, 50), 2), "p99": round(percentile(wakes, 99), 2),
                                             "max": round(wakes[-1], 2)}})
    all_wakes.sort()
    result["wake_ms"] = {"p50": round(percentile(all_wakes, 50), 2), "p99": round(percentile(all_wakes, 99), 2),
                         "max": round(all_wakes[-1], 2)}
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
