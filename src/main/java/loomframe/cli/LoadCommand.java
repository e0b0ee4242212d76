package loomframe.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import loomframe.client.LoadGenerator;
import loomframe.client.LoadResult;
import loomframe.server.core.Durations;
import loomframe.frame.FrameFormat;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code loomframe load}: runs a {@link LoadGenerator} and prints its {@link LoadResult}, as text or
 * one JSON object. Progress goes to stderr once a second: a line rewritten in place on a terminal,
 * plain lines otherwise, so a pipe or a log file stays readable.
 */
@Command(name = "load", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
        description = {"Load-test a server: C connections, P frames in flight each, every echo verified byte for byte.",
                "Closed loop by default; --rate R switches to an open loop at R frames/s in total, with latency",
                "measured from each frame's due time (corrects coordinated omission, as wrk2)."},
        footer = {"", "Examples:",
                "  loomframe load --connections 50 --size 1KiB --pipeline 8 --duration 10s",
                "  loomframe load --connections 10 --size 64 --rate 20000 --duration 30s --json",
                "  loomframe load --tls --tls-ca ca.pem --connections 100 --size 1KiB    # over TLS",
                "", "Exit codes: 0 every frame answered and verified, 1 a frame lost or corrupted or a connection refused or failed, 2 usage error."})
final class LoadCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    ServerAddress server;

    @Mixin
    FramingOptions framing;

    @Mixin
    TlsClientOptions tlsOptions;

    @Option(names = "--connections", paramLabel = "C", required = true, description = "Connections to open.")
    int connections;

    @Option(names = "--size", paramLabel = "SIZE", required = true, converter = SizeConverter.class,
            description = "Payload bytes per frame, e.g. 64 or 1KiB.")
    long size;

    @Option(names = "--pipeline", paramLabel = "P", defaultValue = "1",
            description = "Frames in flight per connection, closed loop (default: ${DEFAULT-VALUE}).")
    int pipeline;

    @Option(names = "--duration", paramLabel = "D", defaultValue = "10s", converter = DurationConverter.class,
            description = "Measured time (default: ${DEFAULT-VALUE}).")
    Duration duration;

    @Option(names = "--warmup", paramLabel = "D", defaultValue = "2s", converter = DurationConverter.class,
            description = "Time run first and not counted (default: ${DEFAULT-VALUE}).")
    Duration warmup;

    @Option(names = "--rate", paramLabel = "R",
            description = "Open loop: R frames/s in total across all connections (default: closed loop).")
    Double rate;

    @Option(names = "--threads", paramLabel = "N",
            description = "Client event-loop threads (default: half the cores, at least 1).")
    Integer threads;

    @Option(names = "--timeout", paramLabel = "D", defaultValue = "10s", converter = DurationConverter.class,
            description = "Longest wait to connect, and for the last replies after the run (default: ${DEFAULT-VALUE}).")
    Duration timeout;

    @Option(names = "--json", description = "Print one JSON object instead of text (progress still goes to stderr).")
    boolean json;

    @Override
    public Integer call() throws InterruptedException {
        LoadGenerator.Options options = options();
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        boolean terminal = isTerminal(err);
        LoadResult result;
        try {
            result = LoadGenerator.run(options, p -> progress(err, terminal, p));
        } catch (IOException e) {
            if (terminal) err.print("\r\033[K");
            throw new CommandFailure(e.getMessage(), e);
        }
        if (terminal) {
            err.print("\r\033[K");
            err.flush();
        }
        out.print(json ? Report.json(result) : Report.text(result));
        out.flush();
        if (!result.ok()) {
            err.println("loomframe: load failed: " + result.errors() + " error(s): lost " + result.lost() + ", corrupted "
                    + result.corrupted() + ", failed connections " + result.failedConnections()
                    + (result.errorMessages().isEmpty() ? "" : "; first: " + result.errorMessages().get(0)));
            err.flush();
            return Main.FAILURE;
        }
        return Main.OK;
    }

    private LoadGenerator.Options options() {
        FrameFormat format = framing.format(spec.commandLine());
        if (size > Integer.MAX_VALUE) throw usage("--size must be at most " + format.maxFrame() + " (--max-frame), got " + size);
        if (rate != null && !(rate > 0)) throw usage("--rate must be a positive number of frames per second, got " + rate);
        if (server.problem() != null) throw usage(server.problem());
        try {
            int c = connections;
            var tls = tlsOptions.clientTls(server.host, spec.commandLine().getErr());
            return new LoadGenerator.Options(server.host, server.port, format, c, (int) size, pipeline, duration, warmup,
                    rate == null ? 0 : rate, threads == null ? LoadGenerator.Options.defaultThreads(c) : threads, timeout, tls);
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }

    private static void progress(PrintWriter err, boolean terminal, LoadGenerator.Progress p) {
        String line = String.format(Locale.ROOT, "%s %5.0fs  %,12.0f frames/s  %9.2f MiB/s  p99 %s  errors %d",
                p.warmingUp() ? "warmup" : "load  ", p.elapsedSeconds(), p.framesPerSecond(), p.mibPerSecond(),
                Report.latency(p.p99Nanos()), p.errors());
        if (terminal) {
            err.print("\r\033[K" + line);  // rewrite one line in place
        } else {
            err.println(line);
        }
        err.flush();
    }

    /** Only a real terminal gets the rewritten line; tests pass their own stream, pipes get plain lines. */
    private boolean isTerminal(PrintWriter err) {
        var console = System.console();
        if (console == null) return false;
        try {  // Java 22+: a Console may exist without a terminal (Console.isTerminal)
            var isTerminal = console.getClass().getMethod("isTerminal");
            if (!(Boolean) isTerminal.invoke(console)) return false;
        } catch (ReflectiveOperationException e) {
            // Java 21: System.console() is null unless stdin and stdout are a terminal
        }
        return System.getenv("TERM") != null && !"dumb".equals(System.getenv("TERM"));
    }

    /** Renders a result for people or for machines. */
    static final class Report {
        private Report() {}

        static String text(LoadResult r) {
            var o = r.options();
            var sb = new StringBuilder();
            sb.append(String.format(Locale.ROOT, "load: %d connection%s to %s:%d, %d-byte payloads, %s, %s measured after %s warmup%n",
                    o.connections(), o.connections() == 1 ? "" : "s", o.host(), o.port(), o.payloadSize(),
                    o.format().describeLength(), Durations.format(o.duration()), Durations.format(o.warmup())));
            sb.append(String.format(Locale.ROOT, "throughput  %,.0f frames/s, %.2f MiB/s each way (%,d frames verified)%n",
                    r.framesPerSecond(), r.mibPerSecond(), r.frames()));
            sb.append(String.format(Locale.ROOT, "latency     p50 %s  p90 %s  p99 %s  p99.9 %s  max %s%n",
                    latency(r.latencyAt(50)), latency(r.latencyAt(90)), latency(r.latencyAt(99)),
                    latency(r.latencyAt(99.9)), latency(r.maxLatency())));
            sb.append("model       ").append(o.latencyModel()).append(System.lineSeparator());
            sb.append(String.format(Locale.ROOT, "errors      %d (lost %d, corrupted %d, failed connections %d)%n",
                    r.errors(), r.lost(), r.corrupted(), r.failedConnections()));
            for (String m : r.errorMessages()) sb.append("            ").append(m).append(System.lineSeparator());
            if (r.clientCpuNanosPerFrame() >= 0) {
                sb.append(String.format(Locale.ROOT, "client cost %.2f us CPU per frame, %.2f cores (%s)%n",
                        r.clientCpuNanosPerFrame() / 1000, r.clientCpuNanos() / (double) r.measuredNanos(), r.frameCostNote()));
            }
            return sb.toString();
        }

        static String json(LoadResult r) {
            var o = r.options();
            var sb = new StringBuilder("{");
            field(sb, "host", Json.quote(o.host())).append(',');
            field(sb, "port", o.port()).append(',');
            field(sb, "connections", o.connections()).append(',');
            field(sb, "pipeline", o.pipeline()).append(',');
            field(sb, "size", o.payloadSize()).append(',');
            field(sb, "format", Json.quote(o.format().describeLength())).append(',');
            field(sb, "duration_s", num(o.duration().toMillis() / 1000.0)).append(',');
            field(sb, "warmup_s", num(o.warmup().toMillis() / 1000.0)).append(',');
            field(sb, "latency_model", Json.quote(o.openLoop() ? "open-loop" : "closed-loop")).append(',');
            field(sb, "rate", o.openLoop() ? num(o.rate()) : "null").append(',');
            field(sb, "frames", r.frames()).append(',');
            field(sb, "frames_per_s", num(r.framesPerSecond())).append(',');
            field(sb, "mib_per_s", num(r.mibPerSecond())).append(',');
            sb.append("\"latency_us\":{");
            field(sb, "p50", num(r.latencyAt(50) / 1000.0)).append(',');
            field(sb, "p90", num(r.latencyAt(90) / 1000.0)).append(',');
            field(sb, "p99", num(r.latencyAt(99) / 1000.0)).append(',');
            field(sb, "p99_9", num(r.latencyAt(99.9) / 1000.0)).append(',');
            field(sb, "max", num(r.maxLatency() / 1000.0)).append(',');
            field(sb, "mean", num(r.latencyNanos().getTotalCount() == 0 ? 0 : r.latencyNanos().getMean() / 1000.0));
            sb.append("},");
            field(sb, "errors", r.errors()).append(',');
            field(sb, "lost", r.lost()).append(',');
            field(sb, "corrupted", r.corrupted()).append(',');
            field(sb, "failed_connections", r.failedConnections()).append(',');
            sb.append("\"error_messages\":[");
            for (int i = 0; i < r.errorMessages().size(); i++) sb.append(i == 0 ? "" : ",").append(Json.quote(r.errorMessages().get(i)));
            sb.append("],");
            field(sb, "client_cpu_ns_per_frame", r.clientCpuNanosPerFrame() < 0 ? "null" : num(r.clientCpuNanosPerFrame())).append(',');
            field(sb, "client_cpu_cores", r.clientCpuNanos() < 0 ? "null" : num(r.clientCpuNanos() / (double) r.measuredNanos()));
            return sb.append('}').append(System.lineSeparator()).toString();
        }

        private static StringBuilder field(StringBuilder sb, String name, Object value) {
            return sb.append('"').append(name).append("\":").append(value);
        }

        private static String num(double v) {
            return Double.isFinite(v) ? String.format(Locale.ROOT, "%.3f", v) : "null";
        }

        /** {@code 812us}, {@code 12.3ms}, {@code 1.20s}. */
        static String latency(long nanos) {
            if (nanos < 1_000_000) return (nanos / 1000) + "us";
            if (nanos < 1_000_000_000) return String.format(Locale.ROOT, "%.2fms", nanos / 1e6);
            return String.format(Locale.ROOT, "%.2fs", nanos / 1e9);
        }
    }
}
