#!/usr/bin/env bash
# The echo benchmark whose results docs quote: shared/MEASURING.md's method, end to end.
#
#   jmh/run-echo.sh                  the full run: about 25 minutes on 2 cores
#   ROUNDS=1 CASES=1k:100:1 jmh/run-echo.sh    a quick look (writes to jmh/results/ all the same)
#
# What it runs (each step says what it writes):
#   1. EchoRounds: cases 64:100:16 1k:100:1 64k:10:1 4m:2:1 (the goals) and 64:1:1 1k:1:1 1k:100:16
#      64k:1:16 1m:1:1 1m:1:16 1m:100:16, servers blocking async platform netty rawecho in the same
#      round, interleaved, a fresh server process per run with default JVM flags, 2 s warm-up + 5 s
#      measured, 3 rounds. 11 cases x 5 servers x 3 rounds x ~7.6 s = ~21 min.  -> jmh/results/echo-rounds.json
#   2. The Netty finding: the reference with its stock (merge) cumulator against the composite one it
#      uses, 4 cases x 2 servers x 3 rounds, ~3 min.                        -> jmh/results/netty-cumulator.json
#   3. ChartMaker: charts in docs/, jmh/results/summary.md, the generated blocks of README.md and
#      docs/COMPARISON.md (commit them with the results; BenchFiguresTest checks they agree).
# Server and generator output of every run: /tmp/loomframe-bench-logs/.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
jmh/build.sh                              # the servers' jar, the benchmark jar, the native harness
rounds="${ROUNDS:-3}"
cases="${CASES:-64:100:16,1k:100:1,64k:10:1,4m:2:1,64:1:1,1k:1:1,1k:100:16,64k:1:16,1m:1:1,1m:1:16,1m:100:16}"
jmh/bench --main loomframe.bench.EchoRounds --cases "$cases" --rounds "$rounds" --out jmh/results/echo-rounds.json
jmh/bench --main loomframe.bench.EchoRounds --cases 1m:1:16,1m:100:16,64:100:16,4m:2:1 --servers netty,netty-merge \
    --rounds "$rounds" --out jmh/results/netty-cumulator.json
jmh/bench --main loomframe.bench.ChartMaker
