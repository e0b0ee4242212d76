#!/usr/bin/env bash
# The server-level fuzzer (loomframe.server.core.ServerFuzzer, from the test sources) against a
# fresh `loomframe serve` per implementation: random connections — valid frames cut anywhere with
# every echo checked, random bytes, random length fields with partial bodies, resets, half-closes.
# Afterwards the server must still echo, and its final stats line says how every connection ended.
#
#   scripts/fuzz.sh [INPUTS [IMPL ...]]        default: 1000000 inputs, blocking async platform
#
# Environment: SEED (default: new each run, printed), CONCURRENCY (default 200).
# Rate on the 2-core development machine: about 400 inputs a second, so the default million takes
# about 45 minutes per implementation; `scripts/fuzz.sh 20000` is a one-minute look.
set -euo pipefail
cd "$(dirname "$0")/.."
INPUTS=${1:-1000000}; shift || true
IMPLS=("$@"); [ ${#IMPLS[@]} -gt 0 ] || IMPLS=(blocking async platform)
SEED=${SEED:-$(date +%s%N)}
CONCURRENCY=${CONCURRENCY:-200}

java="$(LOOMFRAME_PRINT_JAVA=1 ./loomframe)"
./mvnw -B -q package -DskipTests >&2
cp="target/classes:target/test-classes"
failed=0
for impl in "${IMPLS[@]}"; do
  work="target/fuzz/$impl"; rm -rf "$work" && mkdir -p "$work"
  ./loomframe serve --impl "$impl" --port 0 --idle-timeout 2s >"$work/server.out" 2>"$work/server.err" &
  pid=$!
  for _ in $(seq 1 300); do grep -q '^listening on ' "$work/server.out" 2>/dev/null && break; sleep 0.1; done
  port=$(sed -n 's/^listening on [^ ]*:\([0-9][0-9]*\).*/\1/p' "$work/server.out" | head -1)
  echo "== $impl: $INPUTS inputs, seed $SEED"
  "$java" -cp "$cp" loomframe.server.core.ServerFuzzer 127.0.0.1 "$port" "$INPUTS" "$SEED" "$CONCURRENCY" || failed=1
  # still serving?
  if ./loomframe send --port "$port" --message "still here" >/dev/null; then echo "still echoes: yes"; else echo "still echoes: NO"; failed=1; fi
  kill -TERM "$pid"; wait "$pid" || true
  grep -E '^final stats' "$work/server.out" || { echo "no final stats line"; failed=1; }
  grep -E 'OutOfMemoryError|StackOverflowError|internal-error' "$work/server.err" | head -3 && failed=1 || true
done
exit $failed
