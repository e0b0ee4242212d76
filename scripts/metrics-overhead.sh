#!/usr/bin/env bash
# Does --metrics cost the hot path? Each server without and with --metrics (scraped once a second
# while it runs, more often than Prometheus would), in the same rounds, a fresh process per run, the
# native load generator, as the echo figures are taken (jmh/src/main/java/loomframe/bench/EchoRounds.java).
#
#   scripts/metrics-overhead.sh [ROUNDS]     default 3: about 5 minutes on 2 cores
#
# Writes jmh/results/metrics-overhead.json, then the README's generated table (ChartMaker).
# Compare the two columns of one row: the same server, the same round.
set -euo pipefail
cd "$(dirname "$0")/.."
jmh/build.sh
jmh/bench --main loomframe.bench.EchoRounds --cases "${CASES:-64:16:16,1k:100:1}" \
    --servers blocking,blocking+--metrics+0,async,async+--metrics+0,platform,platform+--metrics+0,netty \
    --rounds "${1:-3}" --out jmh/results/metrics-overhead.json
jmh/bench --main loomframe.bench.ChartMaker
