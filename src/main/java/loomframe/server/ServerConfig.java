package loomframe.server;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.Objects;
import loomframe.frame.FrameFormat;

/**
 * Everything a server needs to start. Defaults match the command line's:
 * {@code ServerConfig.builder().build()} listens on 127.0.0.1:7777 with the blocking
 * implementation and the echo handler.
 *
 * @param host            address to bind; 127.0.0.1 by default, 0.0.0.0 for remote clients
 * @param port            TCP port, 0 for any free one ({@link Server#port()} tells which)
 * @param impl            how connections are served
 * @param handler         what is done with each frame
 * @param format          the wire format
 * @param idleTimeout     longest wait for one complete frame; {@link Duration#ZERO} turns it off
 * @param maxConnections  connections served at once; more are accepted and closed at once
 * @param maxBuffered     the buffer budget: bytes held for frames (arriving, or waiting for their
 *                        replies to be written) across all connections before reading pauses;
 *                        see {@link #memoryBound()}
 * @param maxPendingReplies reply bytes owed to one client before the server stops taking its
 *                        frames (and so reading from it) until they are written; every implementation
 * @param shutdownTimeout how long {@link Server#close()} lets connections finish their frames
 * @param handlerThreads  {@link Impl#ASYNC} only: run the handler's blocking form on a pool of this
 *                        many threads instead of on the channel group's, as most async servers offload
 *                        blocking work; 0 runs the asynchronous form if the handler has one, else
 *                        the blocking form in place
 * @param ioThreads       the threads that run connections: for {@link Impl#ASYNC} the channel group's
 *                        size; for {@link Impl#BLOCKING} the carrier threads of the JDK's virtual-thread
 *                        scheduler, which is the whole JVM's and is set by the system property
 *                        {@link #CARRIERS_PROPERTY} before the first virtual thread
 *                        starts ({@code serve --io-threads} does that); 0 = one per core, the default
 * @param tls             TLS on every connection, or null for plain TCP
 */
public record ServerConfig(
        String host,
        int port,
        Impl impl,
        FrameHandler handler,
        FrameFormat format,
        Duration idleTimeout,
        int maxConnections,
        long maxBuffered,
        int maxPendingReplies,
        Duration shutdownTimeout,
        int handlerThreads,
        int ioThreads,
        ServerTls tls) {

    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final int DEFAULT_PORT = 7777;
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(60);
    public static final int DEFAULT_MAX_CONNECTIONS = 10_000;
    public static final int DEFAULT_MAX_PENDING_REPLIES = 1024 * 1024;
    public static final Duration DEFAULT_SHUTDOWN_TIMEOUT = Duration.ofSeconds(10);
    /** The JDK's setting for how many carrier threads run virtual threads: {@code ioThreads} for blocking. */
    public static final String CARRIERS_PROPERTY = "jdk.virtualThreadScheduler.parallelism";

    public ServerConfig {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(impl, "impl");
        Objects.requireNonNull(handler, "handler");
        Objects.requireNonNull(format, "format");
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        Objects.requireNonNull(shutdownTimeout, "shutdownTimeout");
        if (port < 0 || port > 65535) throw new IllegalArgumentException("--port must be 0..65535, got " + port);
        if (idleTimeout.isNegative()) throw new IllegalArgumentException("--idle-timeout must not be negative, got " + idleTimeout);
        if (shutdownTimeout.isNegative()) throw new IllegalArgumentException("--shutdown-timeout must not be negative, got " + shutdownTimeout);
        if (maxConnections < 1) throw new IllegalArgumentException("--max-connections must be at least 1, got " + maxConnections);
        if (maxBuffered < 1) throw new IllegalArgumentException("--max-buffered must be at least 1 byte, got " + maxBuffered);
        if (maxPendingReplies < 1) throw new IllegalArgumentException("max pending replies must be at least 1 byte, got " + maxPendingReplies);
        if (ioThreads < 0) throw new IllegalArgumentException("--io-threads must not be negative, got " + ioThreads);
        if (ioThreads > 0 && impl == Impl.PLATFORM) {
            throw new IllegalArgumentException("--io-threads is for --impl blocking or async (the platform server has a thread per connection)");
        }
        if (handlerThreads < 0) throw new IllegalArgumentException("--handler-threads must not be negative, got " + handlerThreads);
        if (handlerThreads > 0 && impl != Impl.ASYNC) {
            throw new IllegalArgumentException("--handler-threads is for --impl async (the " + impl.cliName()
                    + " server already runs each handler on its connection's own thread)");
        }
    }

    /**
     * The default for {@code --max-buffered}: a quarter of the direct memory this JVM may use
     * ({@code -XX:MaxDirectMemorySize}, which is {@code -Xmx} unless set), where the servers keep
     * frames; see {@link #memoryBound()} for everything that adds up to.
     */
    public static long defaultMaxBuffered() {
        return Math.max(1024 * 1024, directMemoryLimit() / 4);
    }

    /**
     * The direct memory this JVM may use: {@code -XX:MaxDirectMemorySize}, or, when that is not
     * set, the maximum heap (the JDK's own default). A server checks at start that its
     * {@link #memoryBound()} fits.
     */
    public static long directMemoryLimit() {
        return DirectMemory.LIMIT;
    }

    private static final class DirectMemory {                 // read once, when first needed
        static final long LIMIT = read();

        private static long read() {
            long heap = Runtime.getRuntime().maxMemory();
            try {
                var bean = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
                long set = Long.parseLong(bean.getVMOption("MaxDirectMemorySize").getValue());
                return set > 0 ? set : heap;
            } catch (RuntimeException | LinkageError e) {
                return heap;                                   // not HotSpot: assume the JDK's default
            }
        }
    }

    /**
     * The most memory the server keeps for frames at once, whatever its clients do: the budget,
     * plus one frame in overdraft (so an honest frame of {@code --max-frame} can always finish),
     * plus the small-frame reserve (so small frames are served while large ones wait). All of it
     * is direct memory in pooled chunks.
     */
    public long memoryBound() {
        long chunk = 4096;                                       // the overdraft is whole chunks
        return maxBuffered + (format.maxFrame() + chunk - 1) / chunk * chunk + smallFrameReserve();
    }

    /** Bytes set aside so that frames of one chunk are never queued behind large ones: 1/16 of the budget. */
    public long smallFrameReserve() {
        return Math.max(64 * 1024, maxBuffered / 16);
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        return new Builder().host(host).port(port).impl(impl).handler(handler).format(format)
                .idleTimeout(idleTimeout).maxConnections(maxConnections).maxBuffered(maxBuffered)
                .maxPendingReplies(maxPendingReplies).shutdownTimeout(shutdownTimeout).handlerThreads(handlerThreads)
                .ioThreads(ioThreads).tls(tls);
    }

    /** The threads that run connections, 0 resolved to one per core. */
    public int ioThreadCount() {
        return ioThreads > 0 ? ioThreads : Runtime.getRuntime().availableProcessors();
    }

    /** Whether connections speak TLS. */
    public boolean hasTls() {
        return tls != null;
    }

    /** Whether frames have a deadline at all. */
    public boolean hasIdleTimeout() {
        return !idleTimeout.isZero();
    }

    public static final class Builder {
        private String host = DEFAULT_HOST;
        private int port = DEFAULT_PORT;
        private Impl impl = Impl.BLOCKING;
        private FrameHandler handler = FrameHandler.echo();
        private FrameFormat format = FrameFormat.DEFAULT;
        private Duration idleTimeout = DEFAULT_IDLE_TIMEOUT;
        private int maxConnections = DEFAULT_MAX_CONNECTIONS;
        private long maxBuffered = defaultMaxBuffered();
        private int maxPendingReplies = DEFAULT_MAX_PENDING_REPLIES;
        private Duration shutdownTimeout = DEFAULT_SHUTDOWN_TIMEOUT;
        private int handlerThreads;
        private int ioThreads;
        private ServerTls tls;

        private Builder() {}

        public Builder host(String v) { host = v; return this; }
        public Builder port(int v) { port = v; return this; }
        public Builder impl(Impl v) { impl = v; return this; }
        public Builder handler(FrameHandler v) { handler = v; return this; }
        public Builder format(FrameFormat v) { format = v; return this; }
        public Builder idleTimeout(Duration v) { idleTimeout = v; return this; }
        public Builder maxConnections(int v) { maxConnections = v; return this; }
        public Builder maxBuffered(long v) { maxBuffered = v; return this; }
        public Builder maxPendingReplies(int v) { maxPendingReplies = v; return this; }
        public Builder shutdownTimeout(Duration v) { shutdownTimeout = v; return this; }
        public Builder handlerThreads(int v) { handlerThreads = v; return this; }
        public Builder ioThreads(int v) { ioThreads = v; return this; }
        /** TLS on every connection; null (the default) for plain TCP. */
        public Builder tls(ServerTls v) { tls = v; return this; }

        public ServerConfig build() {
            return new ServerConfig(host, port, impl, handler, format, idleTimeout, maxConnections,
                    maxBuffered, maxPendingReplies, shutdownTimeout, handlerThreads, ioThreads, tls);
        }
    }
}
