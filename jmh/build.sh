#!/usr/bin/env bash
# Builds what every benchmark script needs, from the repository root, with any default java:
#   target/loomframe.jar        the servers under test, run as users run them
#   jmh/target/benchmarks.jar   runners, JMH benchmarks, the Netty reference, ChartMaker
#   jmh/target/loadgen, rawecho the native harness (jmh/native/build.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
./mvnw -B -q package -DskipTests
./mvnw -B -q -f jmh/pom.xml package
jmh/native/build.sh > /dev/null
