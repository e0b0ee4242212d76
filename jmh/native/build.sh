#!/usr/bin/env bash
# Compiles the native harness (loadgen, rawecho) into jmh/target/ with the system C compiler,
# when a binary is missing or older than its source. Binaries are never committed.
#
#   jmh/native/build.sh          prints the directory that holds the binaries
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$(dirname "$here")/target"
mkdir -p "$out"
cc="${CC:-cc}"
command -v "$cc" > /dev/null || { echo "jmh/native/build.sh: no C compiler ($cc); install gcc (apt-get install gcc)" >&2; exit 2; }
for tool in loadgen rawecho; do
  if [[ ! -x "$out/$tool" || "$here/$tool.c" -nt "$out/$tool" ]]; then
    "$cc" -O2 -Wall -Wextra -o "$out/$tool" "$here/$tool.c"
  fi
done
echo "$out"
