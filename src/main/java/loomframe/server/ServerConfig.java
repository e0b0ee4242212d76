package loomframe.server;

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
 * @param maxBuffered     total bytes of partly received frames held across all connections
 * @param maxPendingReplies reply bytes owed to one client before the server stops reading from it
 * @param shutdownTimeout how long {@link Server#close()} lets connections finish their frames
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
        Duration shutdownTimeout) {

    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final int DEFAULT_PORT = 7777;
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(60);
    public static final int DEFAULT_MAX_CONNECTIONS = 10_000;
    public static final int DEFAULT_MAX_PENDING_REPLIES = 1024 * 1024;
    public static final Duration DEFAULT_SHUTDOWN_TIMEOUT = Duration.ofSeconds(10);

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
    }

    /**
     * The default for {@code --max-buffered}: a quarter of the maximum heap, so that partial
     * frames can never take more than a share of memory whatever {@code -Xmx} is.
     */
    public static long defaultMaxBuffered() {
        return Math.max(1024 * 1024, Runtime.getRuntime().maxMemory() / 4);
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        return new Builder().host(host).port(port).impl(impl).handler(handler).format(format)
                .idleTimeout(idleTimeout).maxConnections(maxConnections).maxBuffered(maxBuffered)
                .maxPendingReplies(maxPendingReplies).shutdownTimeout(shutdownTimeout);
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

        public ServerConfig build() {
            return new ServerConfig(host, port, impl, handler, format, idleTimeout, maxConnections,
                    maxBuffered, maxPendingReplies, shutdownTimeout);
        }
    }
}
