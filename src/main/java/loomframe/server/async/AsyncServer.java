package loomframe.server.async;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.AsynchronousChannelGroup;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.AsynchronousServerSocketChannel;
import java.nio.channels.AsynchronousSocketChannel;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.CompletionHandler;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import loomframe.server.Impl;
import loomframe.server.Server;
import loomframe.server.ServerConfig;
import loomframe.server.core.AsyncTransport;
import loomframe.server.core.ServerCore;
import loomframe.server.core.tls.AsyncTlsTransport;
import loomframe.server.core.tls.ServerTlsEngines;

/**
 * Accepts connections with NIO.2 and serves each with an {@link AsyncConnection}.
 *
 * <p>The channel group is chosen deliberately: a fixed pool of one thread per core. With a fixed
 * pool the JDK runs completion handlers directly on the threads that poll the kernel, and a read
 * issued from a handler is tried at once instead of going through the poller when the data is
 * already there. The default group (a cached pool fed by separate poller threads) hands every
 * completion from one thread to another.
 *
 * <p>Two more threads, each a server-wide duty that only <em>starts</em> connection work, never
 * runs it: the grant thread, which issues the read of a connection the buffer budget has just
 * granted room (a read issued from outside the group is not tried there, only registered, so the
 * read and everything after it run on the group's threads); and the timer that retries accepting
 * after a failure. With {@code handlerThreads}, a pool runs blocking handlers off the group.
 */
public final class AsyncServer extends ServerCore {
    private static final int BACKLOG = 4096;

    private final AsynchronousChannelGroup group;
    private final AsynchronousServerSocketChannel listener;
    private final ExecutorService grants;
    private final ScheduledExecutorService retries;
    private final ExecutorService handlerPool;                 // null: handlers run on the group
    private final ServerTlsEngines tls;                        // null: plain TCP

    /**
     * Starts a server for {@link Impl#ASYNC}. Programs call {@code loomframe.Loomframe.start}, which
     * picks this or the blocking server.
     */
    public static Server start(ServerConfig config) throws IOException {
        if (config.impl() != Impl.ASYNC) {
            throw new IllegalArgumentException("the async server serves --impl async, not " + config.impl().cliName());
        }
        return new AsyncServer(config);
    }

    private AsyncServer(ServerConfig config) throws IOException {
        super(config, "loomframe-async");
        this.tls = ServerTlsEngines.of(config);
        // tag::async-group[]
        var threadNumber = new AtomicInteger();
        this.group = AsynchronousChannelGroup.withFixedThreadPool(
                config.ioThreadCount(),
                r -> Thread.ofPlatform().name("loomframe-async-" + threadNumber.incrementAndGet()).daemon().unstarted(r));
        // end::async-group[]
        this.grants = Executors.newSingleThreadExecutor(r -> Thread.ofPlatform().name("loomframe-async-grants").daemon().unstarted(r));
        this.retries = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().name("loomframe-async-accept-retry").daemon().unstarted(r));
        var handlerNumber = new AtomicInteger();
        this.handlerPool = config.handlerThreads() == 0 ? null : Executors.newFixedThreadPool(config.handlerThreads(),
                r -> Thread.ofPlatform().name("loomframe-handler-" + handlerNumber.incrementAndGet()).daemon().unstarted(r));
        try {
            this.listener = AsynchronousServerSocketChannel.open(group)
                    .bind(new InetSocketAddress(config.host(), config.port()), BACKLOG);
        } catch (IOException e) {
            released();
            throw e;
        }
        bound(listener.getLocalAddress());
        acceptNext();
    }

    private void acceptNext() {
        try {
            listener.accept(null, onAccepted);
        } catch (RuntimeException e) {                       // closed meanwhile, or the group is shutting down
            if (!isClosing()) log().log(Level.WARNING, "accept", "accept failed: " + e, e);
        }
    }

    // tag::async-accept[]
    /** The accept loop: a server-wide duty, so nothing one connection does can end it. */
    private final CompletionHandler<AsynchronousSocketChannel, Void> onAccepted = new CompletionHandler<>() {
        @Override
        public void completed(AsynchronousSocketChannel channel, Void unused) {
            acceptNext();                                  // keep accepting while this one starts
            if (!admit()) {                                // over --max-connections
                closeQuietly(channel);
                return;
            }
            AsyncConnection connection = null;
            try {
                channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
                connection = new AsyncConnection(channel, transport(channel), AsyncServer.this, channel.getRemoteAddress());
                register(connection);
                connection.start();
            } catch (IOException | RuntimeException | Error e) {   // one failed socket never stops accepting
                closeQuietly(channel);
                if (connection != null) startFailed(connection, e); else {
                    releaseSlot();
                    log().log(Level.WARNING, "accept", "could not start a connection: " + e, e);
                }
            }
        }

        @Override
        public void failed(Throwable e, Void unused) {
            if (e instanceof AsynchronousCloseException || e instanceof ClosedChannelException || isClosing()) {
                return;                                    // close(): stop accepting
            }
            log().log(Level.WARNING, "accept", "accept failed: " + e, e);
            // e.g. out of file descriptors: back off instead of spinning
            retries.schedule(AsyncServer.this::acceptNext, 50, TimeUnit.MILLISECONDS);
        }
    };
    // end::async-accept[]

    /** The channel itself, or TLS over it. */
    private AsyncTransport transport(AsynchronousSocketChannel channel) {
        return tls == null ? AsyncTransport.plain(channel) : new AsyncTlsTransport(channel, tls.newEngine());
    }

    /** Where a connection's budget grant is handed so that its read is issued off the releasing thread. */
    ExecutorService grants() {
        return grants;
    }

    /** The channel group: handlers' own channels may complete on it too. */
    AsynchronousChannelGroup group() {
        return group;
    }

    /** Where blocking handlers run, or null to run them on the group. */
    ExecutorService handlerPool() {
        return handlerPool;
    }

    @Override
    protected void stopAccepting() {
        closeQuietly(listener);
    }

    @Override
    protected void released() {
        grants.shutdownNow();
        retries.shutdownNow();
        if (handlerPool != null) handlerPool.shutdownNow();
        try {
            group.shutdownNow();
        } catch (IOException e) {
            log().log(Level.DEBUG, "shutdown", "closing the channel group: " + e, e);
        }
    }
}
