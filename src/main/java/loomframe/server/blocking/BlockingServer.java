package loomframe.server.blocking;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.concurrent.ThreadFactory;
import loomframe.server.Server;
import loomframe.server.ServerConfig;
import loomframe.server.ServerCore;

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

    // tag::blocking-threads[]
    /** {@code --impl blocking}: one virtual thread per connection. */
    public static Server onVirtualThreads(ServerConfig config) throws IOException {
        // Unnamed: a name is one more object per connection, and thread dumps group them anyway.
        return new BlockingServer(config, Thread.ofVirtual().factory(), "blocking");
    }

    /** {@code --impl platform}: the same connection code, one platform thread per connection. */
    public static Server onPlatformThreads(ServerConfig config) throws IOException {
        return new BlockingServer(config, Thread.ofPlatform().name("loomframe-conn-", 0).daemon().factory(), "platform");
    }
    // end::blocking-threads[]

    private BlockingServer(ServerConfig config, ThreadFactory connectionThreads, String name) throws IOException {
        super(config, "loomframe-" + name);
        this.connectionThreads = connectionThreads;
        this.listener = ServerSocketChannel.open();
        try {
            listener.bind(new InetSocketAddress(config.host(), config.port()), BACKLOG);
        } catch (IOException e) {
            listener.close();
            throw e;
        }
        bound(listener.getLocalAddress());
        Thread.ofPlatform().name("loomframe-" + name + "-accept").daemon().start(this::acceptLoop);
    }

    // tag::blocking-accept[]
    private void acceptLoop() {
        while (!isClosing()) {
            SocketChannel channel;
            try {
                channel = listener.accept();
            } catch (ClosedChannelException e) {
                return;                                    // close(): stop accepting
            } catch (IOException e) {                      // e.g. out of file descriptors: back off, go on
                log.log(Level.WARNING, "accept", "accept failed: " + e.getMessage(), e);
                pause();
                continue;
            }
            if (!admit()) {                                // over --max-connections
                closeQuietly(channel);
                continue;
            }
            BlockingConnection connection = null;
            try {
                channel.setOption(StandardSocketOptions.TCP_NODELAY, true);  // replies go out as soon as written
                connection = new BlockingConnection(channel, this, channel.getRemoteAddress());
                register(connection);
                connectionThreads.newThread(connection).start();
            } catch (IOException | RuntimeException | OutOfMemoryError e) {  // one failed socket never stops the loop
                log.log(Level.WARNING, "accept", "could not start a connection: " + e, e);
                closeQuietly(channel);
                if (connection != null) unregister(connection, "start-failed"); else releaseSlot();
            }
        }
    }
    // end::blocking-accept[]

    void ended(BlockingConnection connection, String reason) {
        unregister(connection, reason);
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
