#!/usr/bin/env bash
# Runs a mix of hostile clients against a loomframe server for a bounded time and prints what it
# saw: good-client latency without and under attack, connections closed per reason, server RSS.
#
#   scripts/hostile.sh [IMPL] [ATTACK_SECONDS]        IMPL: blocking (default), async, platform
#
# Environment: BASELINE_SECONDS (default 10), HEAP (server -Xmx, default 256m), IDLE (default 5s),
# MAX_CONNECTIONS (default 1500, below the attack's ~2,100 connections so some are rejected).
# Starts its own server on a free port: with ./loomframe serve when the CLI is built in, otherwise
# the test-only loomframe.server.ChildServer (compiled by ./mvnw test-compile). Not run in CI.
set -euo pipefail
cd "$(dirname "$0")/.."

IMPL=${1:-blocking}
ATTACK_SECONDS=${2:-40}
BASELINE_SECONDS=${BASELINE_SECONDS:-10}
HEAP=${HEAP:-256m}
IDLE=${IDLE:-5s}
MAX_CONNECTIONS=${MAX_CONNECTIONS:-1500}
WORK=target/hostile-$IMPL                                  # server logs kept here for a look afterwards
rm -rf "$WORK" && mkdir -p "$WORK"
trap 'kill "${SERVER_PID:-}" 2>/dev/null || true' EXIT

java_major() { "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p'; }
JAVA=
for candidate in "${JAVA_HOME:+$JAVA_HOME/bin/java}" "$(command -v java || true)" /usr/lib/jvm/*/bin/java /opt/*/bin/java; do
    [ -n "$candidate" ] && [ -x "$candidate" ] || continue
    major=$(java_major "$candidate")
    if [ -n "$major" ] && [ "${major%%.*}" -ge 21 ] 2>/dev/null; then JAVA=$candidate; break; fi
done
[ -n "$JAVA" ] || { echo "hostile.sh: no JDK 21+ found (set JAVA_HOME)" >&2; exit 2; }

idle_ms=${IDLE%s}; idle_ms=$((idle_ms * 1000))
if [ -x ./loomframe ] && ./loomframe serve --help >/dev/null 2>&1; then
    JAVA_OPTS="-Xmx$HEAP ${JAVA_OPTS:-}" ./loomframe serve --impl "$IMPL" --port 0 --idle-timeout "$IDLE" \
        --max-connections "$MAX_CONNECTIONS" --stats-interval 5s >"$WORK/server.out" 2>"$WORK/server.err" &
    SERVER_PID=$!
    how="./loomframe serve"
else
    ./mvnw -B -q test-compile                              # never run stale classes
    "$JAVA" "-Xmx$HEAP" -cp target/classes:target/test-classes loomframe.server.ChildServer impl="$IMPL" \
        idle-timeout-ms="$idle_ms" max-connections="$MAX_CONNECTIONS" stats-interval-ms=5000 \
        >"$WORK/server.out" 2>"$WORK/server.err" &
    SERVER_PID=$!
    how="ChildServer (test classes)"
fi

for _ in $(seq 1 600); do
    grep -q '^listening on ' "$WORK/server.out" 2>/dev/null && break
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.err" >&2; exit 1; }
    sleep 0.1
done
PORT=$(sed -n 's/^listening on [^ ]*:\([0-9][0-9]*\).*/\1/p' "$WORK/server.out" | head -1)
[ -n "$PORT" ] || { echo "hostile.sh: server did not print its readiness line" >&2; cat "$WORK/server.err" >&2; exit 1; }
# The JVM itself, if the launcher did not exec it.
JVM_PID=$SERVER_PID
if ! readlink "/proc/$SERVER_PID/exe" | grep -q java; then
    JVM_PID=$(pgrep -P "$SERVER_PID" java | head -1 || echo "$SERVER_PID")
fi
rss() { awk '/VmRSS/ {printf "%d MiB", $2 / 1024}' "/proc/$JVM_PID/status"; }
hwm() { awk '/VmHWM/ {printf "%d MiB", $2 / 1024}' "/proc/$JVM_PID/status"; }

echo "server: $how, impl $IMPL, -Xmx$HEAP, idle timeout $IDLE, max connections $MAX_CONNECTIONS, port $PORT"
RSS_START=$(rss)
"$JAVA" scripts/Hostile.java good 127.0.0.1 "$PORT" "$BASELINE_SECONDS" | tee "$WORK/good.txt"
RSS_BEFORE=$(rss)
"$JAVA" scripts/Hostile.java attack 127.0.0.1 "$PORT" "$ATTACK_SECONDS" | tee "$WORK/attack.txt"
RSS_AFTER=$(rss)
RSS_PEAK=$(hwm)
sleep "${IDLE%s}"; sleep 1                               # let the idle deadline clear what is left
RSS_SETTLED=$(rss)

kill -TERM "$SERVER_PID"
STATUS=0
wait "$SERVER_PID" || STATUS=$?
SERVER_PID=
FINAL=$(grep -E 'closed=\{' "$WORK/server.out" | tail -1)

echo
echo "== summary ($IMPL) =="
echo "good-client p99 without attack: $(sed -n 's/.* p99 \([0-9]*\) .*/\1/p' "$WORK/good.txt") us;" \
     "under attack: $(sed -n 's/.* p99 \([0-9]*\) .*/\1/p' "$WORK/attack.txt") us"
echo "server RSS: at start $RSS_START, before attack $RSS_BEFORE, end of attack $RSS_AFTER (peak $RSS_PEAK)," \
     "${IDLE} after $RSS_SETTLED"
echo "closed per reason: $(echo "$FINAL" | sed -n 's/.*closed=\({[^}]*}\).*/\1/p')"
echo "rejected over --max-connections: $(echo "$FINAL" | sed -n 's/.*rejected=\([0-9]*\).*/\1/p')"
echo "server warnings logged: $(grep -cE 'WARN' "$WORK/server.err" || true) lines," \
     "suppressed by rate limit: $(grep -o '([0-9]* more' "$WORK/server.err" | awk '{s += substr($1, 2)} END {print s + 0}')"
echo "final stats: $FINAL"
echo "server exit status after SIGTERM: $STATUS"
echo "server output: $WORK/server.out, $WORK/server.err"
