#!/usr/bin/env bash
# Where the servers' CPU and allocation go: a JFR recording of the server process during one case,
# summarised as text (hot methods, allocation sites and classes).
#
#   jmh/profile-jfr.sh        about 2 minutes: blocking async netty netty-merge x 1k:100:1 and 1m:1:16
# Writes jmh/results/profiles/jfr-CASE-SERVER.txt (netty-merge: the stock cumulator, the Netty finding).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
jmh/build.sh                              # the servers' jar, the benchmark jar, the native harness
jmh/bench --main loomframe.bench.JfrProfile --servers blocking,async,netty,netty-merge "$@"
