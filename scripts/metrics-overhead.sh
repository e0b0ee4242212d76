#!/usr/bin/env bash
# Does --metrics cost the hot path? Runs the same `loomframe load` against `serve` without and with
# --metrics (scraped once a second meanwhile, more often than Prometheus would), alternating which
# goes first, and prints frames/s and p99 of each run.
#
#   scripts/metrics-overhead.sh [IMPL] [REPETITIONS]      defaults: blocking 3
#
# Environment: LOAD_ARGS (default "--connections 16 --size 64 --pipeline 16 --duration 10s --warmup 3s").
# Server and client share this machine's cores: compare the two columns of one run, nothing else.
set -euo pipefail
cd "$(dirname "$0")/.."
IMPL=${1:-blocking}
REPS=${2:-3}
LOAD_ARGS=${LOAD_ARGS:---connections 16 --size 64 --pipeline 16 --duration 10s --warmup 3s}
WORK=target/metrics-overhead
rm -rf "$WORK" && mkdir -p "$WORK"
./loomframe --version >/dev/null                       # build once

server_pid=
scraper_pid=
cleanup() { kill $scraper_pid $server_pid 2>/dev/null || true; }
trap cleanup EXIT

run() {   # run off|on REP: prints "frames/s p99"
    local mode=$1 extra=()
    [ "$mode" = on ] && extra=(--metrics 0)
    ./loomframe serve --impl "$IMPL" --port 0 "${extra[@]}" >"$WORK/serve.out" 2>"$WORK/serve.err" &
    server_pid=$!
    for _ in $(seq 1 300); do grep -q '^listening on ' "$WORK/serve.out" 2>/dev/null && break; sleep 0.1; done
    [ "$mode" = on ] && for _ in $(seq 1 50); do grep -q '^metrics on ' "$WORK/serve.out" && break; sleep 0.1; done
    local port url
    port=$(sed -n 's/^listening on [^ ]*:\([0-9]*\) .*/\1/p' "$WORK/serve.out")
    if [ "$mode" = on ]; then
        url=$(sed -n 's|^metrics on \(http://[^,]*\),.*|\1|p' "$WORK/serve.out")
        (while sleep 1; do curl -fsS --max-time 2 "$url" >/dev/null || true; done) &
        scraper_pid=$!
    fi
    # shellcheck disable=SC2086  # LOAD_ARGS holds several words on purpose
    ./loomframe load --port "$port" $LOAD_ARGS --json >"$WORK/load-$mode-$2.json" 2>/dev/null
    [ -n "$scraper_pid" ] && { kill "$scraper_pid" 2>/dev/null || true; wait "$scraper_pid" 2>/dev/null || true; scraper_pid=; }
    kill "$server_pid"; wait "$server_pid" || true; server_pid=
    sed -n 's/.*"frames_per_s":\([0-9.]*\).*"p99":\([0-9.]*\).*/\1 \2/p' "$WORK/load-$mode-$2.json"
}

echo "impl $IMPL, load $LOAD_ARGS"
printf '%-4s %18s %12s   %18s %12s\n' rep "off: frames/s" "p99 us" "on: frames/s" "p99 us"
for rep in $(seq 1 "$REPS"); do
    if [ $((rep % 2)) = 1 ]; then                    # alternate which goes first: the machine drifts
        read -r off_fps off_p99 <<<"$(run off "$rep")"
        read -r on_fps on_p99 <<<"$(run on "$rep")"
    else
        read -r on_fps on_p99 <<<"$(run on "$rep")"
        read -r off_fps off_p99 <<<"$(run off "$rep")"
    fi
    printf '%-4s %18.0f %12.0f   %18.0f %12.0f\n' "$rep" "$off_fps" "$off_p99" "$on_fps" "$on_p99"
done
