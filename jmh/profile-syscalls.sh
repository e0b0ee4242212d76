#!/usr/bin/env bash
# System calls per echoed frame for every server (strace -c -f over a fixed number of frames).
#
#   jmh/profile-syscalls.sh       about 3 minutes: cases 1k:100:1 (20,000 frames) and 64:100:16
#                                 (200,000 frames) x blocking async platform netty rawecho
# Writes jmh/results/profiles/syscalls-CASE-SERVER.txt and syscalls.json (the docs' syscalls table).
# Needs strace (apt-get install strace) and permission to attach (root, or ptrace_scope 0).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
command -v strace > /dev/null || { echo "jmh/profile-syscalls.sh: strace not found (apt-get install strace)" >&2; exit 2; }
jmh/build.sh                              # the servers' jar, the benchmark jar, the native harness
jmh/bench --main loomframe.bench.SyscallProfile "$@"
