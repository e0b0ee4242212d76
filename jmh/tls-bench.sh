#!/usr/bin/env bash
# TLS benchmark, self-contained: each server in its own JVM (`loomframe serve`), driven by
# `loomframe load` in another, the same rounds for TLS and for plain TCP, then handshakes per
# second and idle memory per connection (jmh/tls/TlsProbe.java). Results as JSON in
# jmh/results/tls/ (echo.jsonl, handshakes.jsonl, idle.jsonl) and a table in summary.md.
#
# Server CPU per frame: the server's utime+stime from /proc/PID/stat, sampled inside the measured
# window of the load run (after its warmup), divided by the frames/s load reports. Client and
# server share the machine's cores: compare rows of one run, not machines.
#
# Usage: jmh/tls-bench.sh [--impls blocking,async,platform] [--duration 5] [--warmup 2]
#                         [--idle-connections 2000] [--out jmh/results/tls]
set -euo pipefail
cd "$(dirname "$0")/.."
impls=blocking,async,platform; duration=5; warmup=2; idle=2000; out=jmh/results/tls
while [ $# -gt 0 ]; do
  case "$1" in
    --impls) impls=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --idle-connections) idle=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
[ -f target/loomframe.jar ] || ./mvnw -B -q package -DskipTests >&2
java=
if [ -z "$java" ]; then
  for j in "${JAVA_HOME:-}/bin/java" "$(command -v java)" /usr/lib/jvm/*/bin/java; do
    [ -x "$j" ] || continue
    v=$("$j" -XshowSettings:properties -version 2>&1 | sed -n 's/ *java.specification.version = //p')
    if [ "${v%%.*}" -ge 21 ] 2>/dev/null; then java=$j; break; fi
  done
fi
[ -n "$java" ] || { echo "no JDK 21+ found" >&2; exit 1; }
mkdir -p "$out"
tmp=$(mktemp -d); trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT
# The README's own way: a self-signed certificate with openssl (EC P-256, for localhost and 127.0.0.1).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=localhost \
  -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" -keyout "$tmp/key.pem" -out "$tmp/cert.pem" 2>/dev/null
hz=$(getconf CLK_TCK)
: > "$out/echo.jsonl"; : > "$out/handshakes.jsonl"; : > "$out/idle.jsonl"
cpu() { awk -v hz="$hz" '{print ($14 + $15) / hz}' "/proc/$1/stat"; }

for impl in ${impls//,/ }; do
  for mode in plain tls; do
    tlsServe=(); tlsLoad=()
    if [ $mode = tls ]; then tlsServe=(--tls-cert "$tmp/cert.pem" --tls-key "$tmp/key.pem"); tlsLoad=(--tls-ca "$tmp/cert.pem"); fi
    "$java" -Xmx1g -jar target/loomframe.jar serve --port 0 --impl "$impl" --idle-timeout 0 "${tlsServe[@]}" > "$tmp/serve.out" 2> "$tmp/serve.err" &
    pid=$!
    for _ in $(seq 200); do grep -q '^listening on' "$tmp/serve.out" && break; sleep 0.05; done
    port=$(sed -n 's/^listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$tmp/serve.out")
    for case in "1024 100" "65536 10"; do
      set -- $case
      "$java" -jar target/loomframe.jar load --port "$port" "${tlsLoad[@]}" --connections "$2" --size "$1" \
        --duration "${duration}s" --warmup "${warmup}s" --json > "$tmp/load.json" 2> /dev/null &
      lpid=$!
      sleep "$(echo "$warmup + 0.5" | bc)"; c0=$(cpu $pid); t0=$(date +%s.%N)
      sleep "$(echo "$duration - 1" | bc)"; c1=$(cpu $pid); t1=$(date +%s.%N)
      wait $lpid
      fps=$(sed -n 's/.*"frames_per_s":\([0-9.]*\).*/\1/p' "$tmp/load.json")
      errors=$(sed -n 's/.*"errors":\([0-9]*\).*/\1/p' "$tmp/load.json")
      clientcpu=$(sed -n 's/.*"client_cpu_ns_per_frame":\([0-9.]*\).*/\1/p' "$tmp/load.json")
      us=$(echo "scale=3; ($c1 - $c0) * 1000000 / (($t1 - $t0) * $fps)" | bc)
      printf '{"impl":"%s","tls":%s,"size":%s,"connections":%s,"frames_per_s":%s,"server_cpu_us_per_frame":%s,"client_cpu_ns_per_frame":%s,"errors":%s}\n' \
        "$impl" "$([ $mode = tls ] && echo true || echo false)" "$1" "$2" "$fps" "$us" "${clientcpu:-null}" "$errors" | tee -a "$out/echo.jsonl"
    done
    if [ $mode = tls ]; then
      "$java" -cp target/loomframe.jar jmh/tls/TlsProbe.java handshakes --port "$port" --ca "$tmp/cert.pem" --threads 4 --seconds "$duration" \
        | sed "s/^{/{\"impl\":\"$impl\",/" | tee -a "$out/handshakes.jsonl"
    fi
    kill -TERM $pid; wait $pid || true
  done
  for mode in plain tls; do
    extra=(); [ $mode = tls ] && extra=(--tls --cert "$tmp/cert.pem" --key "$tmp/key.pem" --ca "$tmp/cert.pem")
    "$java" -cp target/loomframe.jar jmh/tls/TlsProbe.java idle --impl "$impl" --connections "$idle" "${extra[@]}" | tee -a "$out/idle.jsonl"
  done
done

{
  echo "# TLS benchmark ($(date -u +%Y-%m-%d), $(nproc) cores shared by client and server, $("$java" -version 2>&1 | head -1))"
  echo
  echo "Echo: \`loomframe load\` against \`loomframe serve\`, ${duration}s measured after ${warmup}s warmup; server CPU from /proc inside the window."
  echo
  echo "| impl | case | plain frames/s | TLS frames/s | plain server µs/frame | TLS server µs/frame |"
  echo "| --- | --- | --- | --- | --- | --- |"
  for impl in ${impls//,/ }; do for size in 1024 65536; do
    p=$(grep "\"impl\":\"$impl\",\"tls\":false,\"size\":$size," "$out/echo.jsonl"); t=$(grep "\"impl\":\"$impl\",\"tls\":true,\"size\":$size," "$out/echo.jsonl")
    g() { echo "$1" | sed -n "s/.*\"$2\":\([0-9.]*\).*/\1/p"; }
    echo "| $impl | $size B × $(g "$p" connections) | $(g "$p" frames_per_s) | $(g "$t" frames_per_s) | $(g "$p" server_cpu_us_per_frame) | $(g "$t" server_cpu_us_per_frame) |"
  done; done
  echo
  echo "Handshakes (connect, TLS handshake, one 1 KiB echo, close; 4 client threads):"
  echo
  sed 's/^/    /' "$out/handshakes.jsonl"
  echo
  echo "Idle memory per connection ($idle connections, each after one 1 KiB echo):"
  echo
  sed 's/^/    /' "$out/idle.jsonl"
} > "$out/summary.md"
cat "$out/summary.md"
