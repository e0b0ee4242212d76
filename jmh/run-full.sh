#!/usr/bin/env bash
# The JMH suite: EchoRoundTripBenchmark (each server in its own JVM, started per trial), the codec,
# and idle connections. The figures the docs quote come from jmh/run-echo.sh and jmh/run-sweep.sh
# (native load generator, rounds); this is the JMH view of the same servers.
#
#   jmh/run-full.sh            (~30 minutes on 2 cores; builds the jars first)
#   ECHO_ONLY=1 jmh/run-full.sh    echo cases only (keeps codec.json and idle-connections.json)
#
# Echo cases run one JMH invocation per case, the five servers (rawecho: the ceiling) back to back, so each case's
# ratios to Netty come from one window of a few minutes: if something else loads the machine,
# it loads all four servers of that case alike. /proc/loadavg is logged before every case.
# Budget: -f 1 -wi 3 -i 3 -w 2s -r 3s per trial (15 s + JVM and server start, ~18 s), 18 cases x 5 servers ~ 27 min,
# then the codec (~2 min) and idle connections (~2 min). Netty needs the third warm-up iteration:
# with two it was still compiling (its first iterations ran at a third of its speed).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
out="jmh/results"
opts=(-f 1 -wi 3 -i 3 -w 2s -r 3s)
impls="blocking,async,platform,netty,rawecho"

jmh/build.sh
mkdir -p "$out/echo" /tmp/loomframe-bench-logs
rm -f "$out"/echo/*.json
: > "$out/latency.jsonl"
log="$out/run.log"
{
  echo "# loomframe full benchmark run"
  echo "started  $(date -u +%FT%TZ)"
  echo "host     $(uname -srm), $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
  echo "java     $(jmh/bench --main loomframe.bench.ChartMaker --java-version)"
  echo "options  ${opts[*]}"
} > "$log"

# payload connections pipeline: the 16-case grid, then the target cases not in it.
cases=(
  "64 1 1" "64 1 16" "64 100 1" "64 100 16"
  "1024 1 1" "1024 1 16" "1024 100 1" "1024 100 16"
  "65536 1 1" "65536 1 16" "65536 100 1" "65536 100 16"
  "1048576 1 1" "1048576 1 16" "1048576 100 1" "1048576 100 16"
  "65536 10 1" "4194304 2 1"
)
for c in "${cases[@]}"; do
  read -r payload conns pipe <<< "$c"
  name="echo-${payload}b-c${conns}-p${pipe}"
  echo "$(date -u +%T) $name loadavg $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$log"
  jmh/bench EchoRoundTrip "${opts[@]}" -p impl="$impls" -p payload="$payload" -p connections="$conns" -p pipeline="$pipe" \
      -jvmArgsAppend "-Dloomframe.latency.out=$root/$out/latency.jsonl" \
      -rf json -rff "$out/echo/$name.json" > "/tmp/loomframe-bench-logs/$name.txt" 2>&1 \
    || { echo "FAILED: $name (log: /tmp/loomframe-bench-logs/$name.txt)" | tee -a "$log"; }
  grep -E '^EchoRoundTripBenchmark.roundTrip +' "/tmp/loomframe-bench-logs/$name.txt" >> "$log" || true
done

if [[ -n "${ECHO_ONLY:-}" ]]; then
  echo "finished $(date -u +%FT%TZ) (echo cases only)" >> "$log"
  jmh/bench --main loomframe.bench.ChartMaker
  exit 0
fi

echo "$(date -u +%T) codec loadavg $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$log"
jmh/bench Codec -f 1 -wi 2 -i 3 -w 1s -r 1s -rf json -rff "$out/codec.json" > /tmp/loomframe-bench-logs/codec.txt 2>&1
grep -E '^CodecBenchmark' /tmp/loomframe-bench-logs/codec.txt >> "$log" || true

echo "$(date -u +%T) idle loadavg $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$log"
jmh/bench --main loomframe.bench.IdleConnections --connections 10000 --out "$out/idle-connections.json" | tee -a "$log"

echo "finished $(date -u +%FT%TZ)" >> "$log"
jmh/bench --main loomframe.bench.ChartMaker
