#!/usr/bin/env python3
"""Turns bench/compare.sh's raw results into the printed table, the JSON file and the SVG chart.
Standard library only.

    report.py RAW_TSV META_JSON OUT_JSON OUT_SVG

RAW_TSV lines: row <TAB> system <TAB> connections <TAB> loadavg <TAB> WRKRESULT key=value ...
             or: failover <TAB> system <TAB> trial <TAB> milliseconds (or "fail")
"""
import json
import statistics
import sys

ROW_TITLES = {
    "write1": "writes, 1 conn",
    "write16": "writes, 16 conns",
    "write64": "writes, 64 conns",
    "write256": "writes, 256 conns",
    "consistent64": "consistent / linearizable reads, 64",
    "stale64": "stale / serializable reads, 64",
    "mix64": "90/10 read/write mix, 64",
    "write64-f": "writes via a follower, 64",
    "consistent64-f": "consistent reads via a follower, 64",
    "mix64-f": "90/10 mix via a follower, 64",
    "write64-all": "writes via all 3 nodes, 64",
    "consistent64-all": "consistent reads via all 3 nodes, 64",
    "mix64-all": "90/10 mix via all 3 nodes, 64",
    "first30": "writes, 64, first 30 s after start",
    "txn1": "txns of 1 put, 64 (txn/s)",
    "txn8": "txns of 8 puts, 64 (txn/s)",
    "txn64": "txns of 64 puts, 64 (txn/s)",
}


def parse(raw_path):
    rows, order, failover = {}, [], {"skiff": [], "etcd": []}
    with open(raw_path) as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if parts[0] == "failover":
                failover[parts[1]].append(None if parts[3] == "fail" else float(parts[3]))
                continue
            row, system, conns, load, result = parts
            kv = dict(item.split("=", 1) for item in result.split()[1:])
            secs = int(kv["duration_us"]) / 1e6
            errors = sum(int(kv[k]) for k in kv if k.startswith("err_"))
            m = {
                "requests": int(kv["requests"]),
                "seconds": round(secs, 3),
                "throughput": round(int(kv["requests"]) / secs, 1),
                "p50_ms": int(kv["p50_us"]) / 1000.0,
                "p90_ms": int(kv["p90_us"]) / 1000.0,
                "p99_ms": int(kv["p99_us"]) / 1000.0,
                "p999_ms": int(kv["p999_us"]) / 1000.0,
                "max_ms": int(kv["max_us"]) / 1000.0,
                "mean_ms": round(float(kv["mean_us"]) / 1000.0, 3),
                "errors": errors,
                "error_detail": {k[4:]: int(v) for k, v in kv.items() if k.startswith("err_") and int(v)},
                "loadavg_before": float(load),
            }
            if row not in rows:
                rows[row] = {"row": row, "title": ROW_TITLES.get(row, row), "connections": int(conns)}
                order.append(row)
            rows[row][system] = m
    out = []
    for r in order:
        row = rows[r]
        if "skiff" in row and "etcd" in row:
            s, e = row["skiff"], row["etcd"]
            row["ratio_throughput"] = round(s["throughput"] / e["throughput"], 2) if e["throughput"] else None
            row["ratio_p99"] = round(s["p99_ms"] / e["p99_ms"], 2) if e["p99_ms"] else None
        out.append(row)
    fo = {}
    for system, trials in failover.items():
        ok = [t for t in trials if t is not None]
        if trials:
            fo[system] = {"trials_ms": trials, "failed": len(trials) - len(ok),
                          "median_ms": round(statistics.median(ok), 1) if ok else None,
                          "max_ms": round(max(ok), 1) if ok else None}
    return out, fo


def fmt_lat(m):
    return "%.2f / %.2f / %.2f" % (m["p50_ms"], m["p99_ms"], m["p999_ms"])


def table(rows, fo):
    lines = []
    if not rows:
        return "\n".join(failover_lines(fo))
    head = ("%-38s %10s %10s %6s   %-24s %-24s %6s %s" %
            ("row", "Skiff r/s", "etcd r/s", "ratio", "Skiff p50/p99/p99.9 ms", "etcd p50/p99/p99.9 ms", "p99 x", "errors S/E"))
    lines.append(head)
    lines.append("-" * len(head))
    for r in rows:
        s, e = r.get("skiff"), r.get("etcd")
        lines.append("%-38s %10s %10s %6s   %-24s %-24s %6s %s" % (
            r["title"],
            "%.0f" % s["throughput"] if s else "-",
            "%.0f" % e["throughput"] if e else "-",
            "%.2f" % r["ratio_throughput"] if r.get("ratio_throughput") is not None else "-",
            fmt_lat(s) if s else "-",
            fmt_lat(e) if e else "-",
            "%.2f" % r["ratio_p99"] if r.get("ratio_p99") is not None else "-",
            "%s/%s" % (s["errors"] if s else "-", e["errors"] if e else "-")))
    lines.append("ratio = Skiff/etcd throughput (higher is better for Skiff); p99 x = Skiff/etcd p99 (lower is better)")
    return "\n".join(lines + failover_lines(fo))


def failover_lines(fo):
    return ["failover %-5s leader kill -9 -> first successful write: median %s ms, max %s ms over %d trials%s" % (
        system, f["median_ms"], f["max_ms"], len(f["trials_ms"]),
        (", %d failed" % f["failed"]) if f["failed"] else "") for system, f in fo.items()]


def svg(rows, meta):
    """Latency (log scale) against throughput: p50 and p99 of each system, one point per row."""
    W, H, L, R, T, B = 900, 560, 80, 220, 50, 60
    pts = []
    for r in rows:
        for system in ("skiff", "etcd"):
            if system in r:
                pts.append((r, system, r[system]))
    if not pts:
        return "<svg xmlns='http://www.w3.org/2000/svg'/>"
    import math
    xmax = max(p[2]["throughput"] for p in pts) * 1.1 or 1.0
    lats = [p[2][k] for p in pts for k in ("p50_ms", "p99_ms") if p[2][k] > 0]
    ymin = 10 ** math.floor(math.log10(min(lats)))
    ymax = 10 ** math.ceil(math.log10(max(lats)))
    if ymax <= ymin:
        ymax = ymin * 10

    def X(v):
        return L + (W - L - R) * v / xmax

    def Y(v):
        v = max(v, ymin)
        return T + (H - T - B) * (1 - (math.log10(v) - math.log10(ymin)) / (math.log10(ymax) - math.log10(ymin)))

    colour = {"skiff": "#1f6fb4", "etcd": "#d2691e"}
    o = ["<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d' font-family='sans-serif' font-size='12'>" % (W, H),
         "<rect width='100%' height='100%' fill='white'/>",
         "<text x='%d' y='24' font-size='15'>Skiff vs etcd: latency against throughput (%s)</text>" % (L, meta.get("timestamp", ""))]
    # axes and grid
    o.append("<line x1='%d' y1='%d' x2='%d' y2='%d' stroke='black'/>" % (L, H - B, W - R, H - B))
    o.append("<line x1='%d' y1='%d' x2='%d' y2='%d' stroke='black'/>" % (L, T, L, H - B))
    step = 10 ** math.floor(math.log10(xmax)) if xmax > 0 else 1
    if xmax / step < 4:
        step /= 2
    v = 0.0
    while v <= xmax:
        o.append("<line x1='%.1f' y1='%d' x2='%.1f' y2='%d' stroke='#ddd'/>" % (X(v), T, X(v), H - B))
        o.append("<text x='%.1f' y='%d' text-anchor='middle'>%g</text>" % (X(v), H - B + 16, v))
        v += step
    d = ymin
    while d <= ymax * 1.0001:
        o.append("<line x1='%d' y1='%.1f' x2='%d' y2='%.1f' stroke='#ddd'/>" % (L, Y(d), W - R, Y(d)))
        o.append("<text x='%d' y='%.1f' text-anchor='end'>%g</text>" % (L - 6, Y(d) + 4, d))
        d *= 10
    o.append("<text x='%d' y='%d' text-anchor='middle'>throughput (requests/s)</text>" % ((L + W - R) // 2, H - 18))
    o.append("<text x='18' y='%d' transform='rotate(-90 18 %d)' text-anchor='middle'>latency (ms, log scale)</text>"
             % ((T + H - B) // 2, (T + H - B) // 2))
    # the write curve (1, 16, 64, 256 connections) as lines, every row as labelled points
    for system in ("skiff", "etcd"):
        for key, dash in (("p50_ms", "4,3"), ("p99_ms", "")):
            w = [(r["connections"], r[system]) for r in rows
                 if r["row"] in ("write1", "write16", "write64", "write256") and system in r]
            w.sort(key=lambda t: t[0])
            if len(w) > 1:
                path = " ".join("%.1f,%.1f" % (X(m["throughput"]), Y(m[key])) for _, m in w)
                o.append("<polyline points='%s' fill='none' stroke='%s' stroke-width='2' stroke-dasharray='%s'/>"
                         % (path, colour[system], dash))
    labels = {"write1": "w1", "write16": "w16", "write64": "w64", "write256": "w256",
              "consistent64": "lin-read", "stale64": "ser-read", "mix64": "mix",
              "write64-f": "w64-f", "consistent64-f": "lin-read-f", "mix64-f": "mix-f",
              "write64-all": "w64-all", "consistent64-all": "lin-read-all", "mix64-all": "mix-all",
              "first30": "first30"}
    for r, system, m in pts:
        for key, fill in (("p50_ms", "white"), ("p99_ms", colour[system])):
            shape = "circle" if r["row"].startswith(("write", "first30")) else "rect"
            x, y = X(m["throughput"]), Y(m[key])
            if shape == "circle":
                o.append("<circle cx='%.1f' cy='%.1f' r='4' fill='%s' stroke='%s'/>" % (x, y, fill, colour[system]))
            else:
                o.append("<rect x='%.1f' y='%.1f' width='8' height='8' fill='%s' stroke='%s'/>" % (x - 4, y - 4, fill, colour[system]))
            if key == "p99_ms":
                o.append("<text x='%.1f' y='%.1f' font-size='10' fill='%s'>%s</text>" % (x + 6, y - 4, colour[system], labels.get(r["row"], r["row"])))
    lx = W - R + 20
    legend = [("Skiff p99", colour["skiff"], ""), ("Skiff p50", colour["skiff"], "4,3"),
              ("etcd p99", colour["etcd"], ""), ("etcd p50", colour["etcd"], "4,3")]
    for i, (name, c, dash) in enumerate(legend):
        y = T + 20 + 20 * i
        o.append("<line x1='%d' y1='%d' x2='%d' y2='%d' stroke='%s' stroke-width='2' stroke-dasharray='%s'/>" % (lx, y, lx + 30, y, c, dash))
        o.append("<text x='%d' y='%d'>%s</text>" % (lx + 36, y + 4, name))
    notes = ["lines: writes at 1/16/64/256 conns", "circles: writes; squares: reads/mix",
             "filled: p99; hollow: p50", "load avg at start: %s" % meta.get("loadavg_start", "?")]
    for i, n in enumerate(notes):
        o.append("<text x='%d' y='%d' font-size='11'>%s</text>" % (lx, T + 120 + 16 * i, n))
    o.append("</svg>")
    return "\n".join(o)


def main():
    raw, meta_path, out_json, out_svg = sys.argv[1:5]
    with open(meta_path) as f:
        meta = json.load(f)
    rows, fo = parse(raw)
    doc = dict(meta)
    doc["rows"] = rows
    if fo:
        doc["failover"] = fo
    with open(out_json, "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    with open(out_svg, "w") as f:
        f.write(svg(rows, meta))
    print(table(rows, fo))


if __name__ == "__main__":
    main()
