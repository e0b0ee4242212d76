package loomframe.bench;

import com.sun.management.OperatingSystemMXBean;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.runner.IterationType;

/*
 * Echo round trips over loopback: the same client against blocking, async, platform and Netty.
 *
 * WHAT IS MEASURED
 *   One operation is one echoed frame: the client sent it, the server framed it, echoed it, and the
 *   client read the reply back and checked every byte. The score is frames per second over all
 *   connections together (Mode.Throughput). Alongside, as @AuxCounters (per second, so any two of
 *   them divide into a per-frame figure for the same window):
 *     bytes            frame bytes echoed (prefix + payload, one direction)
 *     serverCpuNanos   CPU time of the whole process minus the client thread: the server, plus the
 *                      JVM's GC and JIT threads (the same overhead for every server). Divided by the
 *                      score it gives server CPU per frame, which frames/s alone cannot show on 2 cores.
 *     clientCpuNanos   CPU time of the client thread (about the same for every server).
 *     otherCpuNanos    CPU time the rest of the machine used meanwhile (/proc/stat busy time minus
 *                      this process): a check that nothing else competed for the 2 cores. Results
 *                      whose otherCpuNanos is a sizeable share of a core were disturbed.
 *   Latency (send of a frame to the last byte of its echo) is recorded by the client in an
 *   HdrHistogram during the measurement iterations only, and printed at the end of each trial as
 *   p50/p99/p99.9; with -Dloomframe.latency.out=FILE (pass it through -jvmArgsAppend) each trial adds
 *   one JSON line to FILE, which ChartMaker reads next to the JMH JSON.
 *
 *   impl         blocking | async | platform | netty      the server under test, started in this JVM
 *   payload      64, 1024, 65536, 1048576 (and 4194304)   small frames expose per-frame overhead,
 *                                                         large ones copying and flow control
 *   connections  1, 100 (and 2, 10 for the target cases)  concurrent TCP connections
 *   pipeline     1, 16                                    frames in flight per connection
 *
 * HOW THE CLIENT DRIVES MANY CONNECTIONS
 *   One JMH thread runs EchoClient: a Selector over all `connections` sockets, a closed loop that
 *   replaces each completed frame by a new one on the same connection, so there are always
 *   connections x pipeline frames in flight. One thread, not one per connection: the client then
 *   uses at most one of the two cores whatever the connection count, adds no scheduling of its own,
 *   and its CPU time is one thread's, so the server's share can be separated (serverCpuNanos).
 *
 * WHY THE FIGURES ARE COMPARABLE
 *   The client code, payload bytes, connection count, pipeline depth and JVM flags are identical
 *   for the four servers; only `impl` changes. Every server runs in the same forked JVM as the
 *   client, with its defaults: loomframe through Server.start (echo handler, default format, idle
 *   timeout off), Netty as NettyReferenceServer (epoll, one worker group of availableProcessors
 *   threads, flush per read batch). Compare servers within one run, as ratios; absolute numbers
 *   depend on the machine.
 *
 * WHAT 2 SHARED CORES DO
 *   Client and server share two cores. The client thread takes up to one, so a server that needs
 *   more than the other core for the same frames is throttled by the client's presence and vice
 *   versa: frames/s measures the pair. A more efficient server leaves more CPU to the client, which
 *   then sends faster. That is why serverCpuNanos/frame is reported too, and why ratios between
 *   servers matter more than absolute values. With 100 connections, servers with a thread per
 *   connection also pay context switches that a 2-core box cannot hide.
 *
 * HOW TO RUN
 *   ./mvnw -B -f jmh/pom.xml package
 *   jmh/bench EchoRoundTrip -f 1 -wi 3 -i 3 -w 2s -r 3s -rf json -rff jmh/results/echo.json
 *   jmh/bench EchoRoundTrip -p impl=blocking,netty -p payload=1024 -p connections=100 -p pipeline=1
 *   (jmh/run-full.sh runs the committed full suite; jmh/bench finds a JDK 21+ and runs benchmarks.jar)
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Threads(1)
@Fork(value = 1, jvmArgs = {"-Xms4g", "-Xmx4g", "--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 3, time = 3)
public class EchoRoundTripBenchmark {

    @State(Scope.Thread)
    public static class Echo {
        @Param({"blocking", "async", "platform", "netty"})
        public String impl;

        @Param({"64", "1024", "65536", "1048576"})
        public int payload;

        @Param({"1", "100"})
        public int connections;

        @Param({"1", "16"})
        public int pipeline;

        ServerUnderTest server;
        EchoClient client;

        @Setup(Level.Trial)
        public void start() throws Exception {
            server = ServerUnderTest.start(impl);
            client = new EchoClient(server.port(), connections, payload, pipeline);
        }

        @Setup(Level.Iteration)
        public void iteration(IterationParams iteration) {
            client.recording(iteration.getType() == IterationType.MEASUREMENT);
        }

        @TearDown(Level.Trial)
        public void stop(BenchmarkParams params) throws IOException {
            try {
                report(params);
            } finally {
                try {
                    client.close();
                } finally {
                    server.close();
                }
            }
        }

        private void report(BenchmarkParams params) {
            Histogram h = client.latency();
            if (h.getTotalCount() == 0) return;
            String line = String.format(Locale.ROOT,
                    "{\"benchmark\":\"%s\",\"impl\":\"%s\",\"server\":\"%s\",\"payload\":%d,\"connections\":%d,\"pipeline\":%d,"
                            + "\"count\":%d,\"p50_us\":%.1f,\"p90_us\":%.1f,\"p99_us\":%.1f,\"p999_us\":%.1f,\"max_us\":%.1f}",
                    params.getBenchmark(), impl, server.describe(), payload, connections, pipeline, h.getTotalCount(),
                    us(h.getValueAtPercentile(50)), us(h.getValueAtPercentile(90)), us(h.getValueAtPercentile(99)),
                    us(h.getValueAtPercentile(99.9)), us(h.getMaxValue()));
            System.out.println();
            System.out.println("latency " + line);
            String out = System.getProperty("loomframe.latency.out");
            if (out != null && !out.isBlank()) {
                try {
                    Path file = Path.of(out);
                    if (file.getParent() != null) Files.createDirectories(file.getParent());
                    Files.writeString(file, line + "\n", StandardCharsets.UTF_8,
                            StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot append latency to " + out, e);
                }
            }
        }

        private static double us(long nanos) {
            return nanos / 1000.0;
        }
    }

    /** Per-second counters for the same window as the score; see the class comment. */
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Counters {
        private static final OperatingSystemMXBean OS =
                (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

        public long bytes;
        public long serverCpuNanos;
        public long clientCpuNanos;
        public long otherCpuNanos;

        private long processCpuAtStart;
        private long clientCpuAtStart;
        private long machineBusyAtStart;

        @Setup(Level.Iteration)
        public void start() {
            bytes = 0;
            serverCpuNanos = 0;
            clientCpuNanos = 0;
            otherCpuNanos = 0;
            machineBusyAtStart = MachineCpu.busyNanos();
            processCpuAtStart = OS.getProcessCpuTime();
            clientCpuAtStart = THREADS.getCurrentThreadCpuTime();
        }

        /** Runs on the benchmark thread right after the iteration's last call, before JMH reads the counters. */
        @TearDown(Level.Iteration)
        public void stop() {
            long client = THREADS.getCurrentThreadCpuTime() - clientCpuAtStart;
            long process = OS.getProcessCpuTime() - processCpuAtStart;
            long machine = MachineCpu.busyNanos() - machineBusyAtStart;
            clientCpuNanos = client;
            serverCpuNanos = Math.max(0, process - client);
            otherCpuNanos = machine < 0 ? 0 : Math.max(0, machine - process);
        }
    }

    @Benchmark
    public void roundTrip(Echo echo, Counters counters) throws IOException {
        echo.client.awaitReply();
        counters.bytes += echo.client.frameLength();
    }
}
