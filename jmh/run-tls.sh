#!/usr/bin/env bash
# The TLS benchmark whose results the docs quote: TLS beside plaintext, measured as the plaintext
# suite is (shared/MEASURING.md; loomframe.bench.TlsRounds explains every figure).
#
#   jmh/run-tls.sh                 the full run: about 12 minutes on 2 cores
#   ROUNDS=1 jmh/run-tls.sh        a quick look (writes to jmh/results/tls/ all the same)
#
# What it runs:
#   1. TlsRounds, 3 rounds of: echo 1k:100:1 and 64k:10:1 against blocking, async, platform and the
#      Netty reference (SslHandler, JDK provider), each plain and with TLS, a fresh server process per
#      run, the native generator with OpenSSL, 2 s warm-up + 5 s measured (16 runs x ~9 s); then
#      handshakes per second, the same 8 servers, 16 connections cycling connect, handshake, one echo,
#      close, 2 s warm-up + 3 s measured (8 runs x ~6 s). Once after the rounds: idle memory at 2,000
#      connections, plain and TLS, each server (~2 min).              -> jmh/results/tls/tls-rounds.json
#   2. ChartMaker: docs/bench-tls.png, jmh/results/summary.md, the generated blocks of README.md,
#      docs/COMPARISON.md and jmh/results/README.md (commit them with the results; BenchFiguresTest
#      checks they agree).
# Needs OpenSSL's headers for the generator (Debian: apt-get install libssl-dev); without them
# TlsRounds stops at once and says so. Server and generator output: /tmp/loomframe-bench-logs/.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
jmh/build.sh                              # the servers' jar, the benchmark jar, the native harness
jmh/bench --main loomframe.bench.TlsRounds --rounds "${ROUNDS:-3}" --out jmh/results/tls/tls-rounds.json
jmh/bench --main loomframe.bench.ChartMaker
