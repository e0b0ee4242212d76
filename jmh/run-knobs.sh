#!/usr/bin/env bash
# The JDK's knobs, measured the way the echo figures are (fresh server per run, native generator,
# same-round ratios to Netty): each variant is a server with JVM flags of its own beside its
# default, on the four goal cases.
#
#   jmh/run-knobs.sh              3 rounds: about 20 minutes on 2 cores   -> jmh/results/knobs.json, then the docs' tables
#   ROUNDS=1 jmh/run-knobs.sh     a quick look
#
# Variants: each server with one I/O thread instead of one per core (netty --threads 1, loomframe
# --io-threads 1, which for blocking sets jdk.virtualThreadScheduler.parallelism=1); blocking with the
# JDK's platform-thread pollers (jdk.pollerMode=1); async without the synchronous read it tries when
# a read is issued (sun.nio.ch.disableSynchronousRead).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
jmh/build.sh
rounds="${ROUNDS:-3}"
servers="netty,netty+--threads+1,blocking,blocking+--io-threads+1,blocking+-Djdk.pollerMode=1"
servers+=",async,async+--io-threads+1,async+-Dsun.nio.ch.disableSynchronousRead=true"
jmh/bench --main loomframe.bench.EchoRounds --cases "${CASES:-64:100:16,1k:100:1,64k:10:1,4m:2:1}" --servers "$servers" \
    --rounds "$rounds" --out jmh/results/knobs.json
jmh/bench --main loomframe.bench.ChartMaker   # the knobs table: jmh/results/summary.md and the docs' generated blocks
