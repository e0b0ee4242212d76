#!/usr/bin/env bash
# Counts behind docs/COMPARISON.md, "Code size and state". Run from the repository root:
#   docs/demo/code-size.sh
# "lines" = lines that are not blank and not comments (//, /*, * ...); tag markers are comments.
set -euo pipefail
m=src/main/java/loomframe
code() { grep -cvE '^\s*($|//|/\*|\*)' "$@" || true; }
region() { sed -n "/tag::$2\[\]/,/end::$2\[\]/p" "$1" | grep -cvE '^\s*($|//|/\*|\*)' || true; }
fields() { grep -cE '^\s+private (volatile )?[][A-Za-z<>]+ [a-zA-Z]+( = [^;]*)?;' "$1" || true; }

echo "== lines of code per file"
for f in $m/server/blocking/*.java $m/server/async/*.java; do printf '%5d  %s\n' "$(code "$f")" "$f"; done
printf '%5d  %s\n' "$(cat $m/frame/FrameDecoder.java $m/frame/FrameFormat.java $m/server/*.java | code)" "shared: FrameDecoder, FrameFormat, server/*.java"
seed=(/work/shared/seed/000_*.txt)
if [[ -f "${seed[0]}" ]]; then   # the ancestor's state class, accept loop and read callback (lines 16-23, 30-39, 46-95)
  printf '%5d  %s\n' "$(sed -n '16,23p;30,39p;46,95p' "${seed[0]}" | grep -cvE '^\s*($|//)')" "ancestor: state class + accept loop + read callback"
fi

echo "== lines in the tagged regions that sequence one connection"
for r in blocking/BlockingConnection.java#blocking-connection blocking/FrameReader.java#blocking-read-frame \
         async/AsyncConnection.java#async-read-more async/AsyncConnection.java#async-bytes-read \
         async/AsyncConnection.java#async-write async/AsyncConnection.java#async-failed; do
  printf '%5d  %s\n' "$(region "$m/server/${r%#*}" "${r#*#}")" "$r"
done

echo "== mutable fields per connection (non-final instance fields)"
for f in $m/server/blocking/BlockingConnection.java $m/server/blocking/FrameReader.java $m/server/async/AsyncConnection.java \
         $m/server/ServedConnection.java $m/frame/FrameDecoder.java; do
  printf '%5d  %s\n' "$(fields "$f")" "$f"
done

echo "== call sites that close a connection"
printf '%5d  %s\n' "$(grep -cE '\bclose\((reason|endedBy|why|"[a-z-]+"), null\)' $m/server/async/AsyncConnection.java)" "async: close(...) calls"
printf '%5d  %s\n' "$(grep -cE '^\s+closeChannel\(\);' $m/server/blocking/BlockingConnection.java)" "blocking: closeChannel() calls (finally + wake())"
echo "== completion handlers (types named CompletionHandler<...>)"
printf '%5d  %s\n' "$(grep -cE 'CompletionHandler<' $m/server/async/AsyncConnection.java)" "AsyncConnection.java"
