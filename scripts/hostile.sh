#!/usr/bin/env bash
# The hostile mix against a loomframe server with a small heap, as MEASURING.md describes it, and
# what a judge looks at: the good client's errors and p99, honest 16 MiB frames completed and
# whether any honest sender was closed, when tricklers were closed, closes per reason, peak RSS,
# and the stop after SIGTERM sent in the middle of the attack.
#
#   scripts/hostile.sh [IMPL ...]                  default: blocking async platform
#
# Environment: SEEDS (default "1 2 3"), SECONDS_ATTACK (default 20), HEAP (default 64m),
# IDLE (seconds, default 5), BASELINE (seconds of the good client alone first, default 5).
# Each run starts a fresh `loomframe serve` (the real command line). The attack is
# loomframe.server.HostileMix, from the test sources (built here with ./mvnw test-compile).
# About 35 s per run: 9 runs for the default three implementations and three seeds.
set -euo pipefail
cd "$(dirname "$0")/.."
IMPLS=("$@"); [ ${#IMPLS[@]} -gt 0 ] || IMPLS=(blocking async platform)
SEEDS=${SEEDS:-1 2 3}
SECONDS_ATTACK=${SECONDS_ATTACK:-20}
HEAP=${HEAP:-64m}
IDLE=${IDLE:-5}
BASELINE=${BASELINE:-5}

java="$(LOOMFRAME_PRINT_JAVA=1 ./loomframe)"              # the launcher finds a JDK 21+
./mvnw -B -q package -DskipTests >&2                      # the jar the launcher runs, and the test classes
cp="target/classes:target/test-classes:$(./mvnw -B -q dependency:build-classpath -Dmdep.outputFile=/dev/stdout -Dmdep.includeScope=test)"

summary=()
for impl in "${IMPLS[@]}"; do
  for seed in $SEEDS; do
    work="target/hostile/$impl-seed$seed"
    rm -rf "$work" && mkdir -p "$work"
    JAVA_OPTS="-Xmx$HEAP" ./loomframe serve --impl "$impl" --port 0 --idle-timeout "${IDLE}s" --stats-interval 5s \
        >"$work/server.out" 2>"$work/server.err" &
    pid=$!
    for _ in $(seq 1 300); do grep -q '^listening on ' "$work/server.out" 2>/dev/null && break; sleep 0.1; done
    port=$(sed -n 's/^listening on [^ ]*:\([0-9][0-9]*\).*/\1/p' "$work/server.out" | head -1)
    [ -n "$port" ] || { echo "hostile.sh: the server did not start" >&2; cat "$work/server.err" >&2; exit 1; }
    (while kill -0 "$pid" 2>/dev/null; do awk '/VmHWM/ {print $2}' "/proc/$pid/status" 2>/dev/null; sleep 0.5; done) >"$work/hwm" &

    "$java" -Xmx1g -cp "$cp" loomframe.server.HostileMix 127.0.0.1 "$port" "$BASELINE" "$IDLE" "$seed" 0 good >"$work/baseline.txt"
    "$java" -Xmx1g -cp "$cp" loomframe.server.HostileMix 127.0.0.1 "$port" "$SECONDS_ATTACK" "$IDLE" "$seed" "$pid" >"$work/attack.txt"
    status=0; wait "$pid" || status=$?
    peak=$(sort -n "$work/hwm" | tail -1)
    # grep finds nothing in a good run and exits 1: under pipefail that must not end the script
    errors=$(cat "$work/server.err" "$work/server.out" | { grep -cE 'OutOfMemoryError|StackOverflowError' || true; })
    final=$({ grep -E '^final stats' "$work/server.out" || true; } | tail -1)

    echo "== $impl, seed $seed, -Xmx$HEAP, idle ${IDLE}s, ${SECONDS_ATTACK}s attack, then SIGTERM"
    echo "baseline (good client alone): $(head -1 "$work/baseline.txt")"
    sed 's/^/  /' "$work/attack.txt"
    echo "  OutOfMemoryError/StackOverflowError lines: $errors; exit status $status; peak RSS $((${peak:-0} / 1024)) MiB"
    echo "  $final"
    p99=$(sed -n 's/^good client: .* p99 \([0-9.]*\) ms.*/\1/p' "$work/attack.txt")
    honest=$(sed -n 's/^honest 16 MiB senders: \([0-9]*\) frames.*/\1/p' "$work/attack.txt")
    stop=$(sed -n 's/^server stopped \([0-9.]*\) s.*/\1/p' "$work/attack.txt")
    problems=$(sed -n 's/^problems (\([0-9]*\)).*/\1/p' "$work/attack.txt")
    closed=$(echo "$final" | sed -n 's/.*closed=\({[^}]*}\).*/\1/p')
    summary+=("$(printf '%-9s %4s %10s %8s %10s %9s %6s %8s  %s' "$impl" "$seed" "$p99" "$honest" "$problems" "$errors" "$status" "$((${peak:-0} / 1024))" "stop ${stop}s $closed")")
  done
done
echo
printf '%-9s %4s %10s %8s %10s %9s %6s %8s  %s\n' impl seed "p99 (ms)" honest problems "OOM/SOE" exit "RSS MiB" "stop, closes per reason"
printf '%s\n' "${summary[@]}"
