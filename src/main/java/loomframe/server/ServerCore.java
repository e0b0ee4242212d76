package loomframe.server;

import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What every implementation shares: the limits, the counters, the idle sweeper, the connection
 * registry and the shutdown sequence. The subclasses only accept and serve connections.
 */
public abstract class ServerCore implements Server {
    public ConnectionLog log() { return log; }
    public BufferPool pool() { return pool; }
    public loomframe.frame.ArrayPool arrays() { return arrays; }
    public BufferBudget budget() { return budget; }
    protected final ServerConfig config;
    protected final ServerStats stats;
    protected final BufferBudget budget;
    protected final ConnectionLog log = new ConnectionLog();
    /**
     * Body arrays of frames that did not arrive in one read, reused across frames: up to 4 MiB
     * each, and at most an eighth of {@code --max-buffered} (64 MiB at most) kept while unused.
     */
    protected final loomframe.frame.ArrayPool arrays;
    /** Batch read buffers; a few hundred kept for reuse covers many busy connections. */
    protected final BufferPool pool = new BufferPool(256);
    protected final Set<ServedConnection> connections = IdleSweeper.newRegistry();
    private final IdleSweeper sweeper;
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicBoolean closing = new AtomicBoolean();
    private final CountDownLatch terminated = new CountDownLatch(1);
    private final AtomicLong rejectedSinceWarning = new AtomicLong();
    private final AtomicLong lastRejectWarning = new AtomicLong(System.nanoTime() - 2_000_000_000L);
    private volatile InetSocketAddress address;

    protected ServerCore(ServerConfig config, String name) {
        this.config = config;
        this.budget = new BufferBudget(config.maxBuffered());
        this.arrays = new loomframe.frame.ArrayPool(4 * 1024 * 1024, Math.min(config.maxBuffered() / 8, 64L * 1024 * 1024));
        this.stats = new ServerStats(budget.used(), config.maxBuffered());
        this.sweeper = config.hasIdleTimeout() ? new IdleSweeper(config.idleTimeout(), connections, name + "-idle-sweeper") : null;
    }

    @Override public ServerConfig config() { return config; }
    @Override public InetSocketAddress address() { return address; }
    @Override public ServerStats stats() { return stats; }

    protected void bound(SocketAddress local) {
        this.address = (InetSocketAddress) local;
    }

    /** Whether shutdown has begun: accept nothing more. */
    protected boolean isClosing() {
        return closing.get();
    }

    /** Deadline for a frame that starts now. */
    public long nextDeadline() {
        return IdleSweeper.deadlineFrom(System.nanoTime(), config.idleTimeout());
    }

    /**
     * Takes a slot under {@code --max-connections}. If none is free the caller closes the socket
     * at once; it is counted as rejected and a warning is logged at most once a second.
     */
    protected boolean admit() {
        if (open.incrementAndGet() <= config.maxConnections()) return true;
        open.decrementAndGet();
        stats.connectionRejected();
        rejectedSinceWarning.incrementAndGet();
        long now = System.nanoTime();
        long last = lastRejectWarning.get();
        if (now - last > 1_000_000_000L && lastRejectWarning.compareAndSet(last, now)) {  // one thread a second
            long n = rejectedSinceWarning.getAndSet(0);
            ConnectionLog.LOG.log(Level.WARNING, "rejected " + n + " connection" + (n == 1 ? "" : "s")
                    + " over --max-connections " + config.maxConnections() + " since the last warning");
        }
        return false;
    }

    /** Gives back a slot taken by {@link #admit()} for a connection that never got registered. */
    protected void releaseSlot() {
        open.decrementAndGet();
    }

    protected static void closeQuietly(java.io.Closeable c) {
        try {
            c.close();
        } catch (java.io.IOException ignored) {
            // closing anyway: nothing more to do for this socket
        }
    }

    /** {@code 127.0.0.1:51234}, for log lines. */
    public static String describe(SocketAddress address) {
        if (address instanceof InetSocketAddress inet) {
            String host = inet.getAddress() != null ? inet.getAddress().getHostAddress() : inet.getHostString();
            return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + inet.getPort();
        }
        return String.valueOf(address);
    }

    protected void register(ServedConnection c) {
        connections.add(c);
        stats.connectionOpened();
        if (closing.get()) c.drain();      // accepted just as close() began: it must not be missed
    }

    /** Every connection calls this exactly once, when it has closed. */
    protected void unregister(ServedConnection c, String reason) {
        if (connections.remove(c)) {
            open.decrementAndGet();
            stats.connectionClosed(reason);
        }
    }

    /** Stops accepting new connections: close the listening socket. */
    protected abstract void stopAccepting();

    /** Releases what the implementation holds once every connection is gone (thread pools). */
    protected void released() {}

    /**
     * Graceful shutdown: stop accepting at once; let every connection finish the frame it is in
     * and flush the replies it owes; after {@code --shutdown-timeout} close what is left.
     */
    // tag::shutdown[]
    @Override
    public void close() {
        if (!closing.compareAndSet(false, true)) {
            awaitQuietly();
            return;
        }
        stopAccepting();
        for (ServedConnection c : connections) c.drain();
        long deadline = System.nanoTime() + config.shutdownTimeout().toNanos();
        waitForConnections(deadline);
        if (!connections.isEmpty()) {
            for (ServedConnection c : connections) {
                stats.connectionForcedAtShutdown();
                c.abort();
            }
            waitForConnections(System.nanoTime() + TimeUnit.SECONDS.toNanos(2));
        }
        if (sweeper != null) sweeper.close();
        released();
        terminated.countDown();
    }
    // end::shutdown[]

    private void waitForConnections(long deadline) {
        while (!connections.isEmpty() && System.nanoTime() - deadline < 0) {
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private void awaitQuietly() {
        try {
            awaitTermination();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void awaitTermination() throws InterruptedException {
        terminated.await();
    }
}
