#!/usr/bin/env bash
# Compiles the native harness (loadgen, rawecho) into jmh/target/ with the system C compiler,
# when a binary is missing, older than its source, or built with other options. Binaries are never
# committed.
#
# loadgen gets TLS (OpenSSL) when OpenSSL's headers are installed (Debian: libssl-dev), and is built
# without it otherwise: everything but the TLS benchmark works then, and `loadgen --version` and
# `loadgen --tls-ca ...` say what to install. Installing libssl-dev later rebuilds it on the next run.
#
#   jmh/native/build.sh          prints the directory that holds the binaries
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$(dirname "$here")/target"
mkdir -p "$out"
cc="${CC:-cc}"
command -v "$cc" > /dev/null || { echo "jmh/native/build.sh: no C compiler ($cc); install gcc (apt-get install gcc)" >&2; exit 2; }
if printf '#include <openssl/ssl.h>\nint main(void) { return OPENSSL_VERSION_MAJOR < 3; }\n' \
    | "$cc" -x c -o /dev/null - -lssl -lcrypto > /dev/null 2>&1; then
  loadgen_flags=(-DLOADGEN_TLS)
  loadgen_libs=(-lssl -lcrypto)
else
  loadgen_flags=()
  loadgen_libs=()
fi
for tool in loadgen rawecho; do
  flags=(); libs=()
  if [[ "$tool" == loadgen ]]; then flags=("${loadgen_flags[@]}"); libs=("${loadgen_libs[@]}"); fi
  stamp="$out/$tool.flags"
  if [[ ! -x "$out/$tool" || "$here/$tool.c" -nt "$out/$tool" || "$(cat "$stamp" 2>/dev/null)" != "${flags[*]}" ]]; then
    "$cc" -O2 -Wall -Wextra "${flags[@]}" -o "$out/$tool" "$here/$tool.c" "${libs[@]}"
    echo "${flags[*]}" > "$stamp"
    if [[ "$tool" == loadgen && ${#flags[@]} -eq 0 ]]; then
      echo "jmh/native/build.sh: loadgen built WITHOUT TLS: no OpenSSL 3 headers (install libssl-dev); the TLS benchmark needs them" >&2
    fi
  fi
done
echo "$out"
