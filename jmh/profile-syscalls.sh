#!/usr/bin/env bash
# System calls per echoed frame for every server, counted over a fixed number of frames by perf
# (the kernel's syscall tracepoints; strace when perf is missing or not permitted: it slows the
# server at every call and undercounts reads that find nothing).
#
#   jmh/profile-syscalls.sh       about 5 minutes: cases 1k:100:1 (20,000 frames), 64:100:16
#                                 (200,000 frames), 1k:1000:1 with echo and with delay:10ms (40,000 frames)
#                                 x blocking async platform netty rawecho
# Writes jmh/results/profiles/syscalls-CASE-SERVER.txt and syscalls.json (the docs' syscalls table).
# Needs perf (apt-get install linux-perf) and perf_event_paranoid <= 1 or root; or strace and ptrace.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
command -v perf > /dev/null || command -v strace > /dev/null \
    || { echo "jmh/profile-syscalls.sh: neither perf nor strace found (apt-get install linux-perf)" >&2; exit 2; }
jmh/build.sh                              # the servers' jar, the benchmark jar, the native harness
jmh/bench --main loomframe.bench.SyscallProfile "$@"
