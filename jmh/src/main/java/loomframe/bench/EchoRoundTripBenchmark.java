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
 * Echo round trips over loopback: one JMH client against blocking, async, platform, Netty and the raw
 * echo ceiling, each server in a process of its own.
 *
 * WHAT IS MEASURED
 *   One operation is one echoed frame: the client sent it, the server framed it, echoed it, and the
 *   client read the reply back and checked every byte. The score is frames per second over all
 *   connections together (Mode.Throughput). Alongside, as @AuxCounters (per second, so any two of
 *   them divide into a per-frame figure for the same window):
 *     bytes              frame bytes echoed (prefix + payload, one direction)
 *     serverCpuNanos     CPU time of the server process (/proc/PID/stat utime + stime: every thread,
 *                        its GC and JIT included). Divided by the score: server CPU per frame.
 *     clientCpuNanos     CPU time of this JVM, the client (its selector thread, JMH, GC, JIT): what
 *                        the client costs. Near a full core, the client is the limit, not the server.
 *     clientThreadCpuNanos  the client's selector thread alone.
 *     otherCpuNanos      CPU time the rest of the machine used meanwhile (/proc/stat busy time minus
 *                        both processes): a check that nothing else competed for the cores.
 *   Latency (send of a frame to the last byte of its echo) is recorded by the client in an
 *   HdrHistogram during the measurement iterations only, and printed at the end of each trial as
 *   p50/p99/p99.9; with -Dloomframe.latency.out=FILE (pass it through -jvmArgsAppend) each trial adds
 *   one JSON line to FILE, which ChartMaker reads next to the JMH JSON.
 *
 *   impl         blocking | async | platform | netty | rawecho   the server under test (rawecho: the
 *                                                         C raw-bytes echo, the harness's ceiling)
 *   payload      64, 1024, 65536, 1048576 (and 4194304)   small frames expose per-frame overhead,
 *                                                         large ones copying and flow control
 *   connections  1, 100 (and 2, 10 for the target cases)  concurrent TCP connections
 *   pipeline     1, 16                                    frames in flight per connection
 *
 * THE SERVER UNDER TEST RUNS IN ITS OWN JVM
 *   Each trial starts a fresh server process (ServerProcess): loomframe as users run it,
 *   java -jar target/loomframe.jar serve --impl X --port 0 --idle-timeout 0, with default JVM flags;
 *   Netty through NettyReferenceServer's main; rawecho as the native binary. Client and server share
 *   no heap, GC or JIT. The trial's last step stops the server with SIGTERM.
 *
 * HOW THE CLIENT DRIVES MANY CONNECTIONS
 *   One JMH thread runs EchoClient: a Selector over all `connections` sockets, a closed loop that
 *   replaces each completed frame by a new one on the same connection, so there are always
 *   connections x pipeline frames in flight. One thread, not one per connection: the client uses at
 *   most about one of the two cores whatever the connection count, and adds no scheduling of its own.
 *
 * WHY THE FIGURES ARE COMPARABLE
 *   The client code, payload bytes, connection count, pipeline depth and JVM flags are identical
 *   for the five servers; only `impl` changes. Compare servers within one run, as ratios, with the
 *   rawecho row as the ceiling: a Java client is heavier than the native generator of EchoRounds, so
 *   on 2 cores its ratios compress toward 1 (clientCpuNanos shows by how much). The figures the docs
 *   quote come from EchoRounds (jmh/run-echo.sh); this benchmark is the JMH view of the same work.
 *
 * HOW TO RUN
 *   ./mvnw -B -q package -DskipTests && ./mvnw -B -f jmh/pom.xml package
 *   jmh/bench EchoRoundTrip -f 1 -wi 3 -i 3 -w 2s -r 3s -rf json -rff jmh/results/echo.json
 *   jmh/bench EchoRoundTrip -p impl=blocking,netty,rawecho -p payload=1024 -p connections=100 -p pipeline=1
 *   (jmh/run-full.sh runs the committed JMH suite; jmh/bench finds a JDK 21+ and runs benchmarks.jar)
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Threads(1)
@Fork(value = 1, jvmArgs = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 3, time = 3)
public class EchoRoundTripBenchmark {

    @State(Scope.Thread)
    public static class Echo {
        @Param({"blocking", "async", "platform", "netty", "rawecho"})
        public String impl;

        @Param({"64", "1024", "65536", "1048576"})
        public int payload;

        @Param({"1", "100"})
        public int connections;

        @Param({"1", "16"})
        public int pipeline;

        /** The server process of the running trial, for Counters (one benchmark thread: no race). */
        static volatile long serverPid;

        ServerProcess server;
        EchoClient client;

        @Setup(Level.Trial)
        public void start() throws Exception {
            Path log = Path.of(System.getProperty("java.io.tmpdir"), "loomframe-jmh-" + impl + "-server.log");
            server = ServerProcess.start(ServerProcess.Spec.echo(impl), log);
            serverPid = server.pid();
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
                    params.getBenchmark(), impl, server.readyLine().replace("\"", "'"), payload, connections, pipeline, h.getTotalCount(),
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
        public long clientThreadCpuNanos;
        public long otherCpuNanos;

        private long serverCpuAtStart;
        private long clientCpuAtStart;
        private long clientThreadCpuAtStart;
        private long machineBusyAtStart;

        @Setup(Level.Iteration)
        public void start() {
            bytes = 0;
            serverCpuNanos = 0;
            clientCpuNanos = 0;
            clientThreadCpuNanos = 0;
            otherCpuNanos = 0;
            machineBusyAtStart = MachineCpu.busyNanos();
            serverCpuAtStart = MachineCpu.processNanos(Echo.serverPid);
            clientCpuAtStart = OS.getProcessCpuTime();
            clientThreadCpuAtStart = THREADS.getCurrentThreadCpuTime();
        }

        /** Runs on the benchmark thread right after the iteration's last call, before JMH reads the counters. */
        @TearDown(Level.Iteration)
        public void stop() {
            clientThreadCpuNanos = THREADS.getCurrentThreadCpuTime() - clientThreadCpuAtStart;
            clientCpuNanos = OS.getProcessCpuTime() - clientCpuAtStart;
            serverCpuNanos = Math.max(0, MachineCpu.processNanos(Echo.serverPid) - serverCpuAtStart);
            long machine = MachineCpu.busyNanos() - machineBusyAtStart;
            otherCpuNanos = machine < 0 ? 0 : Math.max(0, machine - clientCpuNanos - serverCpuNanos);
        }
    }

    @Benchmark
    public void roundTrip(Echo echo, Counters counters) throws IOException {
        echo.client.awaitReply();
        counters.bytes += echo.client.frameLength();
    }
}
