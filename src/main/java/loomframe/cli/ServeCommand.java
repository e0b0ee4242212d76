package loomframe.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.lang.System.Logger.Level;
import java.net.InetAddress;
import java.net.UnknownHostException;
import loomframe.metrics.MetricsEndpoint;
import loomframe.server.core.ConnectionLog;
import loomframe.server.core.Durations;
import loomframe.frame.FrameFormat;
import loomframe.handlers.Handlers;
import loomframe.server.FrameHandler;
import loomframe.server.Impl;
import loomframe.Loomframe;
import loomframe.server.Server;
import loomframe.server.ServerConfig;
import loomframe.server.ServerTls;
import loomframe.tls.TlsFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code loomframe serve}: runs a server until SIGINT/SIGTERM.
 *
 * <p>Once accepting it prints the readiness line scripts wait for, {@code listening on HOST:PORT (settings)},
 * and with {@code --metrics} the line {@code metrics on http://HOST:PORT/metrics, health on ...}.
 * On a signal a shutdown hook closes the server gracefully (bounded by {@code --shutdown-timeout}),
 * prints the final statistics line and ends the JVM with status 0: a signal is how a server is
 * meant to stop, not a failure. {@code /health} answers 503 from the signal on (after
 * {@code --drain-delay}, if one is set, during which the server still accepts) until the JVM exits.
 */
@Command(name = "serve", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
        description = {"Serve length-prefixed frames until SIGINT/SIGTERM.",
                "Prints 'listening on HOST:PORT (settings)' on stdout once accepting, and a final statistics line at shutdown."},
        footer = {"", "Examples:",
                "  loomframe serve                                   # echo on 127.0.0.1:7777",
                "  loomframe serve --impl async --port 0 --stats-interval 5s",
                "  loomframe serve --byte-order little               # the C# sample's clients",
                "  loomframe serve --metrics 9100 --log-format json  # metrics on 127.0.0.1:9100, JSON logs",
                "  loomframe serve --tls-cert cert.pem --tls-key key.pem    # TLS 1.3 and 1.2",
                "", "Exit codes: 0 stopped by a signal, 1 cannot listen (e.g. port in use), 2 usage error."})
final class ServeCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--host", paramLabel = "H", defaultValue = ServerConfig.DEFAULT_HOST,
            description = "Address to bind (default: ${DEFAULT-VALUE}, this machine only; 0.0.0.0 accepts remote clients).")
    String host;

    @Option(names = "--port", paramLabel = "P", defaultValue = "7777", description = "TCP port; 0 takes a free one (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--impl", paramLabel = "blocking|async|platform", defaultValue = "blocking", converter = ImplConverter.class,
            description = "blocking: a virtual thread per connection; async: NIO.2 completion handlers; "
                    + "platform: a platform thread per connection (default: ${DEFAULT-VALUE}).")
    Impl impl;

    @Option(names = "--handler", paramLabel = "echo|discard|delay:D|forward:HOST:PORT", defaultValue = "echo",
            description = "echo replies with each frame; discard replies nothing; delay:D echoes D after the frame "
                    + "arrived (a stand-in for a backend call); forward:HOST:PORT relays each frame to a backend framing "
                    + "server and replies with its reply (default: ${DEFAULT-VALUE}).")
    String handler;

    @Option(names = "--io-threads", paramLabel = "N", defaultValue = "0",
            description = "Threads that run connections: async, the channel group's; blocking, the virtual threads' "
                    + "carriers (sets -Djdk.virtualThreadScheduler.parallelism); 0 = one per core (default: ${DEFAULT-VALUE}).")
    int ioThreads;

    @Option(names = "--handler-threads", paramLabel = "N", defaultValue = "0",
            description = "--impl async only: run the handler on a pool of N threads instead of the channel group's "
                    + "(a blocking handler offloaded, as most async servers do); 0 runs it in place (default: ${DEFAULT-VALUE}).")
    int handlerThreads;

    @Mixin
    FramingOptions framing;

    @Option(names = "--idle-timeout", paramLabel = "D", defaultValue = "60s", converter = DurationConverter.class,
            description = "Close a connection with no complete frame within D; 0 = never (default: ${DEFAULT-VALUE}).")
    Duration idleTimeout;

    @Option(names = "--max-connections", paramLabel = "N", defaultValue = "10000",
            description = "Connections served at once; more are accepted and closed at once (default: ${DEFAULT-VALUE}).")
    int maxConnections;

    @Option(names = "--max-buffered", paramLabel = "SIZE", converter = SizeConverter.class,
            description = "Bytes held for frames across all connections; when spent, connections stop reading "
                    + "(default: a quarter of the JVM's direct-memory limit, which is -Xmx unless -XX:MaxDirectMemorySize is set).")
    Long maxBuffered;

    @Option(names = "--shutdown-timeout", paramLabel = "D", defaultValue = "10s", converter = DurationConverter.class,
            description = "How long shutdown lets connections finish their frames (default: ${DEFAULT-VALUE}).")
    Duration shutdownTimeout;

    @Option(names = "--stats-interval", paramLabel = "D", converter = DurationConverter.class,
            description = "Print a statistics line every D (default: off).")
    Duration statsInterval;

    @Mixin
    TlsCertificateOptions tlsCertificate;                 // serve TLS 1.3 and 1.2 with it

    @Option(names = "--tls-client-ca", paramLabel = "FILE",
            description = "Mutual TLS: require client certificates signed by the CAs in this PEM file.")
    Path tlsClientCa;

    @Option(names = {"-v", "--verbose"}, description = "Log DEBUG records and stack traces.")
    boolean verbose;

    @Option(names = "--log-format", paramLabel = "text|json", defaultValue = "text", converter = LogFormatConverter.class,
            description = "text: one readable line per record; json: one JSON object per line with time, level, message, "
                    + "and peer and reason where they apply (default: ${DEFAULT-VALUE}).")
    Logging.Format logFormat;

    @Option(names = "--metrics", paramLabel = "[HOST:]PORT", converter = MetricsAddress.Converter.class,
            description = "Serve Prometheus metrics at http://HOST:PORT/metrics and a health check at /health "
                    + "(200 ok while serving, 503 draining once shutdown begins); HOST defaults to 127.0.0.1, "
                    + "PORT 0 takes a free one (default: off).")
    MetricsAddress metricsAddress;

    @Option(names = "--drain-delay", paramLabel = "D", defaultValue = "0", converter = DurationConverter.class,
            description = "On SIGTERM, first keep serving and accepting for D while /health answers 503, so a load balancer "
                    + "sends new connections elsewhere; then shut down (default: 0, shut down at once).")
    Duration drainDelay;

    @Override
    public Integer call() throws InterruptedException {
        ServerConfig config = config();
        PrintWriter out = spec.commandLine().getOut();
        Logging.configure(spec.commandLine().getErr(), verbose, logFormat);

        Server server = start(config);
        MetricsEndpoint metrics = startMetrics(server);
        out.println(readinessLine(server));
        if (server.address().getAddress().isLoopbackAddress()) {
            out.println("bound to a loopback address: only this machine can connect; use --host 0.0.0.0 to accept remote clients");
        }
        if (metrics != null) out.println("metrics on " + metrics.metricsUrl() + ", health on " + metrics.healthUrl());
        out.flush();

        Thread stats = statsInterval == null || statsInterval.isZero() ? null
                : Thread.ofPlatform().daemon().name("loomframe-stats").start(() -> printStats(server, out));
        var stopping = new AtomicBoolean();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            if (!stopping.compareAndSet(false, true)) return;
            try {
                drainDelay(metrics);
                server.close();          // /health says 503 from here until the JVM halts: it stays up
            } finally {
                stopStats(stats);
                out.println("final stats: " + server.stats());
                out.flush();
                // A signal is the normal way to stop a server: end with 0, not 128+signal.
                Runtime.getRuntime().halt(Main.OK);
            }
        }, "loomframe-shutdown"));

        server.awaitTermination();
        if (stopping.compareAndSet(false, true)) {  // ended without a signal
            stopStats(stats);
            out.println("final stats: " + server.stats());
            out.flush();
        }
        return Main.OK;
    }

    /** The endpoint {@code --metrics} asks for, or null; if it cannot bind, the server is closed again and serve fails (exit 1). */
    private MetricsEndpoint startMetrics(Server server) {
        if (metricsAddress == null) return null;
        try {
            return MetricsEndpoint.start(server, InetAddress.getByName(metricsAddress.host()), metricsAddress.port());
        } catch (IOException | RuntimeException e) {
            server.close();
            String why = e instanceof BindException ? e.getMessage() + " (choose another --metrics port, or --metrics 0 for any free one)"
                    : e instanceof UnknownHostException ? "unknown host " + metricsAddress.host()
                    : e.toString();
            throw new CommandFailure("cannot serve metrics on " + metricsAddress + ": " + why, e);
        }
    }

    /** {@code --drain-delay}: announce the drain on /health and keep serving a while before shutting down. */
    private void drainDelay(MetricsEndpoint metrics) {
        if (drainDelay.isZero()) return;
        if (metrics != null) metrics.drain();
        ConnectionLog.LOG.log(Level.INFO, "shutting down in " + Durations.format(drainDelay) + " (--drain-delay): still serving"
                + (metrics != null ? "; " + metrics.healthUrl() + " answers 503 meanwhile" : ""));
        try {
            Thread.sleep(drainDelay);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private ServerConfig config() {
        FrameFormat format = framing.format(spec.commandLine());
        try {
            var builder = ServerConfig.builder().host(host).port(port).impl(impl).handler(handler(format))
                    .handlerThreads(handlerThreads).ioThreads(ioThreads).format(format)
                    .idleTimeout(idleTimeout).maxConnections(maxConnections).shutdownTimeout(shutdownTimeout);
            if (maxBuffered != null) builder.maxBuffered(maxBuffered);
            builder.tls(tls());
            return builder.build();
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    /** {@code --tls-cert}, {@code --tls-key}, {@code --tls-client-ca}: null for plain TCP. */
    private ServerTls tls() {
        if (!tlsCertificate.given() && tlsClientCa == null) return null;
        tlsCertificate.check();
        if (tlsCertificate.cert == null) throw new IllegalArgumentException("--tls-client-ca needs --tls-cert and --tls-key: mutual TLS is TLS first");
        return ServerTls.of(TlsFiles.serverContext(tlsCertificate.cert, tlsCertificate.key, tlsClientCa),
                tlsClientCa == null ? ServerTls.ClientAuth.NONE : ServerTls.ClientAuth.REQUIRED);
    }

    /** The {@code --handler}, with picocli's wording for a bad value (the flag, then what was expected). */
    private FrameHandler handler(FrameFormat format) {
        try {
            return Handlers.parse(handler, format);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "Invalid value for option '--handler': " + e.getMessage());
        }
    }

    private Server start(ServerConfig config) {
        if (config.impl() == Impl.BLOCKING && config.ioThreads() > 0) {
            // The scheduler of virtual threads is the JVM's, made when the first one starts: none has yet.
            System.setProperty(ServerConfig.CARRIERS_PROPERTY, String.valueOf(config.ioThreads()));
        }
        String where = config.host() + ":" + config.port();
        try {
            return Loomframe.start(config);
        } catch (BindException e) {
            throw new CommandFailure("cannot listen on " + where + ": " + e.getMessage()
                    + " (another server there? choose another --port, or --port 0 for any free one)", e);
        } catch (IOException e) {
            throw new CommandFailure("cannot listen on " + where + ": " + e, e);
        } catch (IllegalArgumentException e) {              // settings this JVM cannot honour (memory)
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    /** {@code listening on 127.0.0.1:7777 (impl blocking, handler echo, 4-byte big-endian length, ...)}. */
    static String readinessLine(Server server) {
        ServerConfig c = server.config();
        FrameFormat f = c.format();
        return "listening on " + hostPort(server.address())
                + " (impl " + c.impl().cliName()
                + (c.hasTls() ? ", tls " + String.join("/", c.tls().protocolsInEffect())
                        + (c.tls().clientAuth() == ServerTls.ClientAuth.REQUIRED ? " with client certificates required" : "") : "")
                + ", handler " + handlerName(c.handler())
                + (c.handlerThreads() > 0 ? " on " + c.handlerThreads() + " threads" : "")
                + ", " + f.describeLength()
                + ", max frame " + SizeConverter.format(f.maxFrame())
                + ", idle timeout " + (c.hasIdleTimeout() ? Durations.format(c.idleTimeout()) : "off")
                + ", max connections " + c.maxConnections()
                + ", max buffered " + SizeConverter.format(c.maxBuffered())
                + ", shutdown timeout " + Durations.format(c.shutdownTimeout())
                // last, so that scripts matching the fields before it keep working
                + (c.impl() == Impl.PLATFORM ? "" : ", io threads " + ioThreadsInEffect(c))
                + ")";
    }

    static String hostPort(InetSocketAddress address) {
        String host = address.getAddress().getHostAddress();
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + address.getPort();
    }

    /** The threads that run connections, as the server will have them. */
    private static int ioThreadsInEffect(ServerConfig c) {
        if (c.impl() == Impl.ASYNC) return c.ioThreadCount();
        Integer set = Integer.getInteger(ServerConfig.CARRIERS_PROPERTY);
        return set != null ? set : Runtime.getRuntime().availableProcessors();
    }

    /** The command-line name of a built-in handler ({@code delay:10ms}), else the class of a program's own. */
    private static String handlerName(FrameHandler handler) {
        String pkg = handler.getClass().getPackageName();
        boolean builtin = handler instanceof FrameHandler.Builtin || pkg.equals(Handlers.class.getPackageName());
        return builtin ? handler.toString() : handler.getClass().getSimpleName();
    }

    private static void stopStats(Thread stats) {
        if (stats == null) return;
        stats.interrupt();
        try {
            stats.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void printStats(Server server, PrintWriter out) {
        try {
            while (true) {
                Thread.sleep(statsInterval);
                out.println("stats: " + server.stats());
                out.flush();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The constant of {@code values} whose CLI name is {@code value} (any case), or a usage error naming the choices. */
    private static <T> T byName(T[] values, Function<T, String> cliName, String value, String choices) {
        for (T v : values) {
            if (cliName.apply(v).equals(value.toLowerCase(Locale.ROOT))) return v;
        }
        throw new TypeConversionException("expected " + choices + ", got '" + value + "'");
    }

    static final class LogFormatConverter implements ITypeConverter<Logging.Format> {
        @Override
        public Logging.Format convert(String value) {
            return byName(Logging.Format.values(), Logging.Format::cliName, value, "text or json");
        }
    }

    static final class ImplConverter implements ITypeConverter<Impl> {
        @Override
        public Impl convert(String value) {
            return byName(Impl.values(), Impl::cliName, value, "blocking, async or platform");
        }
    }
}
