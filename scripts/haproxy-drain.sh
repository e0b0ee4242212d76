#!/usr/bin/env bash
# Two loomframe servers behind HAProxy (mode tcp, an HTTP health check on each server's /health):
# runs `loomframe load` through the balancer, sends SIGTERM to one server in the middle of the run,
# and shows what the health check, the balancer and the clients saw.
#
#   scripts/haproxy-drain.sh [IMPL]          IMPL: blocking (default), async, platform
#
# Each server runs `serve --port 0 --metrics 0 --drain-delay 8s`: on SIGTERM its /health answers
# 503 "draining" at once while it goes on serving; HAProxy's check marks it DOWN and sends new
# connections to the other one; after the delay it stops accepting, finishes and exits 0.
#
# Exits 0 when all of these held, 1 saying which did not, 3 when haproxy is not installed:
#   the check saw 503 on the stopped server; connections opened after it was marked DOWN all went to
#   the other server; the load that ran through the SIGTERM lost no frame; the stopped server exited 0.
# Everything it starts listens on 127.0.0.1 and is stopped on exit. Files: target/haproxy-drain/.
set -euo pipefail
cd "$(dirname "$0")/.."

IMPL=${1:-blocking}
WORK=target/haproxy-drain
DRAIN_DELAY=8s
rm -rf "$WORK" && mkdir -p "$WORK"
say() { echo "haproxy-drain: $*"; }

if ! command -v haproxy >/dev/null 2>&1; then
    say "haproxy is not installed (Debian: apt-get install haproxy); nothing was run"
    exit 3
fi

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

./loomframe --version >/dev/null               # builds target/loomframe.jar once, before two servers start

# A port nobody listens on now (HAProxy cannot take port 0 and tell us which it got), below the
# kernel's ephemeral range: a port in that range may be the local end of any outgoing connection,
# which a listener cannot bind even though nothing answers a connect to it.
free_port() {
    local p low
    low=$(awk '{print $1}' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
    for _ in $(seq 1 50); do
        p=$((10000 + RANDOM % (low - 10000)))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
    done
    return 1
}

# Starts server $1; sets PORT_$1, METRICS_$1 (host:port) and PID_$1.
start_server() {
    local name=$1
    ./loomframe serve --impl "$IMPL" --port 0 --metrics 0 --drain-delay "$DRAIN_DELAY" --shutdown-timeout 5s \
        >"$WORK/$name.out" 2>"$WORK/$name.err" &
    local pid=$!
    pids+=("$pid")
    for _ in $(seq 1 300); do
        grep -q '^metrics on ' "$WORK/$name.out" 2>/dev/null && break
        kill -0 "$pid" 2>/dev/null || { cat "$WORK/$name.err" >&2; say "server $name did not start"; exit 1; }
        sleep 0.1
    done
    printf -v "PORT_$name" '%s' "$(sed -n 's/^listening on [^ ]*:\([0-9]*\) .*/\1/p' "$WORK/$name.out")"
    printf -v "METRICS_$name" '%s' "$(sed -n 's|^metrics on http://\([^/]*\)/metrics.*|\1|p' "$WORK/$name.out")"
    printf -v "PID_$name" '%s' "$pid"
}
start_server a
start_server b
say "servers a (127.0.0.1:$PORT_a, metrics $METRICS_a) and b (127.0.0.1:$PORT_b, metrics $METRICS_b), impl $IMPL"

FRONT=$(free_port)
STATS=$(free_port)
cat >"$WORK/haproxy.cfg" <<CFG
global
    log stdout format raw local0 info

defaults
    log global
    mode tcp
    option tcplog
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    retries 3
    option redispatch 1          # a connect refused by a stopping server is retried on the other

frontend loomframe
    bind 127.0.0.1:$FRONT
    default_backend loomframe

backend loomframe
    balance roundrobin
    option httpchk
    http-check send meth GET uri /health ver HTTP/1.1 hdr Host loomframe
    http-check expect status 200
    default-server inter 500ms fall 2 rise 2
    server a 127.0.0.1:$PORT_a check port ${METRICS_a##*:}
    server b 127.0.0.1:$PORT_b check port ${METRICS_b##*:}

frontend stats
    mode http
    bind 127.0.0.1:$STATS
    stats enable
    stats uri /stats
CFG
haproxy -db -f "$WORK/haproxy.cfg" >"$WORK/haproxy.log" 2>&1 &
pids+=("$!")

# One field of server $1's row in HAProxy's CSV statistics, by column name ($2: status, check_status, stot, ...).
stat() {
    curl -fsS --max-time 2 "http://127.0.0.1:$STATS/stats;csv" 2>/dev/null | awk -F, -v sv="$1" -v col="$2" '
        NR == 1 { sub(/^# /, ""); for (i = 1; i <= NF; i++) idx[$i] = i; next }
        $1 == "loomframe" && $2 == sv { print $(idx[col]) }'
}
# A counter of server $1's /metrics (its impl label is the only one).
metric() { curl -fsS --max-time 2 "http://$(eval echo "\$METRICS_$1")/metrics" | awk -v m="$2" '$1 ~ "^"m"\\{" { printf "%d", $2 }'; }
wait_for() {   # wait_for SECONDS DESCRIPTION COMMAND...
    local seconds=$1 what=$2; shift 2
    for _ in $(seq 1 $((seconds * 10))); do "$@" && return 0; sleep 0.1; done
    say "timed out after ${seconds}s waiting for $what"; return 1
}
wait_for 15 "HAProxy to see both servers UP" bash -c "[ \"\$(curl -fsS --max-time 2 'http://127.0.0.1:$STATS/stats;csv' 2>/dev/null | grep -c '^loomframe,[ab],.*,UP,')\" = 2 ]" \
    || { say "haproxy's log:"; tail -20 "$WORK/haproxy.log" >&2; exit 1; }
say "haproxy on 127.0.0.1:$FRONT: a $(stat a status), b $(stat b status)"

problems=()

# 1. Load through the balancer; SIGTERM server a two seconds in.
./loomframe load --port "$FRONT" --connections 8 --size 1KiB --pipeline 4 --duration 6s --warmup 0 \
    >"$WORK/load-through-drain.out" 2>"$WORK/load-through-drain.err" &
load_pid=$!
sleep 2
opened_a_before=$(metric a loomframe_connections_opened_total)
frames_a_before=$(metric a loomframe_frames_received_total)
kill -TERM "$PID_a"
term_at=$(date +%s%N)
health_a=$(curl -s --max-time 2 -w ' (HTTP %{http_code})' "http://$METRICS_a/health" | tr -d '\n')
say "SIGTERM to a; its /health now says: $health_a"

# 2. The check sees it.
if wait_for 10 "HAProxy to mark a DOWN" bash -c "curl -fsS --max-time 2 'http://127.0.0.1:$STATS/stats;csv' | grep -q '^loomframe,a,.*,DOWN,'"; then
    down_ms=$(( ($(date +%s%N) - term_at) / 1000000 ))
    say "haproxy marked a DOWN ${down_ms} ms after the SIGTERM (check: $(stat a check_status), code $(stat a check_code))"
    grep -h 'Server loomframe/a is DOWN' "$WORK/haproxy.log" | head -1 | sed 's/^/    haproxy log: /' || true
    [ "$(stat a check_code)" = 503 ] || problems+=("the check's last code for a was '$(stat a check_code)', not 503")
else
    problems+=("HAProxy never marked a DOWN")
fi

# 3. New connections while a still serves its old ones: all to b.
opened_a=$(metric a loomframe_connections_opened_total)
opened_b=$(metric b loomframe_connections_opened_total)
new_rc=0
./loomframe load --port "$FRONT" --connections 6 --size 1KiB --duration 1s --warmup 0 >"$WORK/load-after-down.out" 2>&1 || new_rc=$?
went_a=$(( $(metric a loomframe_connections_opened_total) - opened_a ))
went_b=$(( $(metric b loomframe_connections_opened_total) - opened_b ))
say "6 new connections after a was marked DOWN: $went_b to b, $went_a to a (load exit $new_rc)"
[ "$went_a" = 0 ] && [ "$went_b" = 6 ] && [ "$new_rc" = 0 ] || problems+=("new connections after DOWN: $went_b to b, $went_a to a, load exit $new_rc")
say "a answered $(( $(metric a loomframe_frames_received_total) - frames_a_before )) more frames on its open connections after the SIGTERM (it had $opened_a_before connections)"

# 4. The load that ran through the SIGTERM.
load_rc=0
wait "$load_pid" || load_rc=$?
say "load through the drain: $(grep -h '^throughput' "$WORK/load-through-drain.out" | sed 's/  */ /g')"
say "load through the drain: $(grep -h '^errors' "$WORK/load-through-drain.out" | sed 's/  */ /g') (exit $load_rc)"
grep -h '^            ' "$WORK/load-through-drain.out" | sed 's/^ */    /' || true
[ "$load_rc" = 0 ] || problems+=("the load through the drain reported errors (exit $load_rc): see $WORK/load-through-drain.out")

# 5. Server a finishes its drain and exits 0.
a_rc=0
wait "$PID_a" || a_rc=$?
say "a exited $a_rc after its ${DRAIN_DELAY} drain delay: $(grep -h '^final stats' "$WORK/a.out")"
[ "$a_rc" = 0 ] || problems+=("server a exited $a_rc")
say "b still UP: $(stat b status), sessions served in all: $(stat b stot)"

if [ "${#problems[@]}" -gt 0 ]; then
    for p in "${problems[@]}"; do say "FAILED: $p"; done
    exit 1
fi
say "ok: the check saw 503, new connections went to b, no frame was lost, a exited 0"
