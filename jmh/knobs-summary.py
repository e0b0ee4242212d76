#!/usr/bin/env python3
"""Summarizes jmh/results/knobs.json (EchoRounds with server variants): per case and variant, the
median over rounds of frames/s ÷ Netty's in the same round (min-max), server CPU µs per frame and
p99, as a Markdown table. Run by jmh/run-knobs.sh."""
import json, statistics, sys
from collections import defaultdict

d = json.load(open(sys.argv[1]))
runs = [r for r in d["runs"] if "loadgen" in r and "error" not in r["loadgen"]]
netty = {(r["case"], r["round"]): r["loadgen"]["frames_per_s"] for r in runs if r["server"] == "netty"}
by = defaultdict(list)
for r in runs:
    key = (r["case"], r["round"])
    if key not in netty:
        continue
    g = r["loadgen"]
    by[(r["case"], r["server"])].append((g["frames_per_s"] / netty[key], g["server"]["cpu_ns_per_frame"] / 1000, g["latency_us"]["p99"]))
print(f"Knobs, {d.get('java','')}, code {d.get('commit','')}, {d['rounds']} rounds, {d['duration_s']} s measured per run; "
      f"ratio = median over rounds of frames/s ÷ Netty's in the same round (min-max).\n")
print("| case | variant | frames/s ÷ Netty | server CPU µs/frame | p99 µs |")
print("| --- | --- | --- | --- | --- |")
for case in d["cases"]:
    for server in d["servers"]:
        v = by.get((case, server))
        if not v:
            continue
        ratios = [x[0] for x in v]
        print(f"| {case} | `{server}` | {statistics.median(ratios):.2f} ({min(ratios):.2f}–{max(ratios):.2f}) | "
              f"{statistics.median(x[1] for x in v):.2f} | {statistics.median(x[2] for x in v):.0f} |")
