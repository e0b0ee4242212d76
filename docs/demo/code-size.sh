#!/usr/bin/env bash
# Counts behind docs/COMPARISON.md, "Code size and state". Run from the repository root:
#   docs/demo/code-size.sh
# "lines" = lines that are not blank and not comments (//, /*, * ...); tag markers are comments.
# The ancestor (the C# tutorial loomframe descends from) is not part of this repository; its figure
# in the page was counted the same way on its state class, accept loop and read callback.
set -euo pipefail
cd "$(dirname "$0")/../.."
m=src/main/java/loomframe/server
code() { grep -cvE '^\s*($|//|/\*|\*)' "$@" || true; }
region() { sed -n "/tag::$2\[\]/,/end::$2\[\]/p" "$1" | grep -cvE '^\s*($|//|/\*|\*)' || true; }
fields() { grep -cE '^\s+private (volatile )?[][A-Za-z<>.]+ [a-zA-Z]+( = [^;]*)?;' "$1" || true; }

echo "== lines of code per file"
for f in $m/blocking/*.java $m/async/*.java; do
  [[ $f == */package-info.java ]] && continue
  printf '%5d  %s\n' "$(code "$f")" "$f"
done
printf '%5d  %s\n' "$(cat $m/core/*.java | code)" "shared machinery: server/core/*.java"
printf '%5d  %s\n' "$(cat src/main/java/loomframe/frame/*.java | code)" "the wire format: frame/*.java"

echo "== lines in the tagged regions that sequence one connection"
for r in blocking/BlockingConnection.java#blocking-connection blocking/BlockingConnection.java#blocking-read \
         blocking/BlockingConnection.java#blocking-frame blocking/BlockingConnection.java#blocking-write \
         async/AsyncConnection.java#async-step async/AsyncConnection.java#async-read \
         async/AsyncConnection.java#async-frame async/AsyncConnection.java#async-write async/AsyncConnection.java#async-failed; do
  printf '%5d  %s\n' "$(region "$m/${r%#*}" "${r#*#}")" "$r"
done

echo "== mutable fields per connection (non-final instance fields)"
for f in $m/blocking/BlockingConnection.java $m/async/AsyncConnection.java $m/core/ServedConnection.java $m/core/FrameFlow.java; do
  printf '%5d  %s\n' "$(fields "$f")" "$f"
done

echo "== completion handler types (CompletionHandler<...> in the connection)"
printf '%5d  %s\n' "$(grep -cE 'CompletionHandler<' $m/async/AsyncConnection.java)" "AsyncConnection.java"
