package loomframe.server.blocking;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.concurrent.ThreadFactory;
import loomframe.server.Impl;
import loomframe.server.Server;
import loomframe.server.ServerConfig;
import loomframe.server.core.BlockingTransport;
import loomframe.server.core.ServerCore;
import loomframe.server.core.tls.BlockingTlsTransport;
import loomframe.server.core.tls.ServerTlsEngines;

/**
 * Accepts connections and gives each its own thread running {@link BlockingConnection}. With
 * virtual threads ({@code --impl blocking}) a parked connection costs a small heap object, so
 * thousands are cheap; with platform threads ({@code --impl platform}) each costs an OS thread and
 * its stack — the classic baseline. Only the {@link ThreadFactory} differs.
 */
public final class BlockingServer extends ServerCore {
    private static final int BACKLOG = 4096;

    private final ServerSocketChannel listener;
    private final ThreadFactory connectionThreads;
    private final ServerTlsEngines tls;                   // null: plain TCP

    /**
     * Starts a server for {@link Impl#BLOCKING} or {@link Impl#PLATFORM}, as the config says.
     * Programs call {@code loomframe.Loomframe.start}, which picks this or the async server.
     */
    public static Server start(ServerConfig config) throws IOException {
        return new BlockingServer(config, threadsFor(config.impl()));
    }

    // tag::blocking-threads[]
    private static ThreadFactory threadsFor(Impl impl) {
        return switch (impl) {
            // Unnamed: a name is one more object per connection, and thread dumps group them anyway.
            case BLOCKING -> Thread.ofVirtual().factory();
            case PLATFORM -> Thread.ofPlatform().name("loomframe-conn-", 0).daemon().factory();
            case ASYNC -> throw new IllegalArgumentException("the blocking server serves --impl blocking or platform, not " + impl.cliName());
        };
    }
    // end::blocking-threads[]

    private BlockingServer(ServerConfig config, ThreadFactory connectionThreads) throws IOException {
        super(config, "loomframe-" + config.impl().cliName());
        this.connectionThreads = connectionThreads;
        this.tls = ServerTlsEngines.of(config);
        this.listener = ServerSocketChannel.open();
        try {
            listener.bind(new InetSocketAddress(config.host(), config.port()), BACKLOG);
        } catch (IOException e) {
            listener.close();
            throw e;
        }
        bound(listener.getLocalAddress());
        warnIfCarriersDiffer(config);
        Thread.ofPlatform().name("loomframe-" + config.impl().cliName() + "-accept").daemon().start(this::acceptLoop);
    }

    /**
     * Virtual threads run on the JVM's one scheduler, sized once by a system property when the first
     * virtual thread starts, so this server cannot size it: it can only say when the request is not met.
     */
    private void warnIfCarriersDiffer(ServerConfig config) {
        if (config.impl() != Impl.BLOCKING || config.ioThreads() == 0) return;
        String set = System.getProperty(ServerConfig.CARRIERS_PROPERTY);
        if (String.valueOf(config.ioThreads()).equals(set)) return;
        log().log(Level.WARNING, "config", "ioThreads " + config.ioThreads() + " asked, but " + ServerConfig.CARRIERS_PROPERTY
                + " is " + (set == null ? "unset (one carrier per core)" : set) + "; start the JVM with -D"
                + ServerConfig.CARRIERS_PROPERTY + "=" + config.ioThreads() + " (serve --io-threads does)", null);
    }

    // tag::blocking-accept[]
    /** The accept loop: a server-wide duty, so nothing one connection does can end it. */
    private void acceptLoop() {
        while (!isClosing()) {
            SocketChannel channel;
            try {
                channel = listener.accept();
            } catch (ClosedChannelException e) {
                return;                                    // close(): stop accepting
            } catch (IOException | RuntimeException | Error e) {  // e.g. out of file descriptors, or memory: back off, go on
                if (isClosing()) return;
                log().log(Level.WARNING, "accept", "accept failed: " + e, e);
                pause();
                continue;
            }
            if (!admit()) {                                // over --max-connections
                closeQuietly(channel);
                continue;
            }
            start(channel);
        }
    }

    private void start(SocketChannel channel) {
        BlockingConnection connection = null;
        try {
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);  // replies go out as soon as written
            connection = new BlockingConnection(channel, transport(channel), this, channel.getRemoteAddress());
            register(connection);
            connectionThreads.newThread(connection).start();
        } catch (IOException | RuntimeException | Error e) {          // one failed socket never stops the loop
            closeQuietly(channel);
            if (connection != null) startFailed(connection, e); else {
                releaseSlot();
                log().log(Level.WARNING, "accept", "could not start a connection: " + e, e);
            }
        }
    }
    // end::blocking-accept[]

    /** The socket itself, or TLS over it. */
    private BlockingTransport transport(SocketChannel channel) {
        return tls == null ? BlockingTransport.plain(channel) : new BlockingTlsTransport(channel, tls.newEngine());
    }

    @Override
    protected void stopAccepting() {
        closeQuietly(listener);
    }

    private static void pause() {
        try {
            Thread.sleep(50);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
