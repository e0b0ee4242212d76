#!/usr/bin/env bash
# The concurrency sweep of issue 13 (handlers that wait, 1 to 10,000 connections) and its charts.
#
#   jmh/run-sweep.sh        about 25 minutes on 2 cores when every point is supported
#                           (with a build that lacks delay/forward/--handler-threads, ~8 minutes:
#                           such points are recorded as "unsupported by this build" in a second)
#
# ConcurrencySweep: connections 1 10 100 1000 10000 (forward: to 5000) x handlers echo delay:1ms
# delay:10ms forward x servers blocking async async-exec platform netty, one frame in flight per
# connection, 2 s warm-up + 5 s measured, a fresh server (and for forward a fresh Netty echo backend)
# per point: 95 points x ~10 s = ~16 min; then the open loop at 1,000 connections x delay:1ms,
# 6 offered rates x 5 servers x ~8 s = ~4 min.            -> jmh/results/sweep.json
# Then ChartMaker: docs/bench-sweep-*.png and the docs' generated blocks.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
jmh/build.sh                              # the servers' jar, the benchmark jar, the native harness
jmh/bench --main loomframe.bench.ConcurrencySweep --out jmh/results/sweep.json "$@"
jmh/bench --main loomframe.bench.ChartMaker
