package loomframe.server.core;

import java.io.Closeable;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import loomframe.server.CloseReason;
import loomframe.server.Server;
import loomframe.server.ServerConfig;
import loomframe.server.ServerStats;

/**
 * What every implementation shares: the limits, the counters, the buffer budget and chunk pool,
 * the idle sweeper, the connection registry and the shutdown sequence. The subclasses only accept
 * connections and serve them.
 *
 * <p>Server-wide duties never depend on one connection behaving: the sweeper, the acceptors and
 * {@link #close()} catch and log whatever a single connection throws and go on with the rest.
 */
public abstract class ServerCore implements Server {
    protected final ServerConfig config;
    private final ServerStats stats;
    private final BufferBudget budget;
    private final ChunkPool pool;
    private final ConnectionLog log = new ConnectionLog();
    private final Set<ServedConnection> connections = ConcurrentHashMap.newKeySet();
    private final IdleSweeper sweeper;
    private final AtomicInteger open = new AtomicInteger();       // admitted and not yet ended: the one open count
    private final AtomicBoolean closing = new AtomicBoolean();
    private final CountDownLatch terminated = new CountDownLatch(1);
    private final AtomicLong rejectedSinceWarning = new AtomicLong();
    private final AtomicLong lastRejectWarning = new AtomicLong(System.nanoTime() - 2_000_000_000L);
    private volatile State state = State.SERVING;
    private volatile InetSocketAddress address;
    private volatile ScheduledExecutorService timer;

    /**
     * @throws IllegalArgumentException if what the config lets the server hold for frames
     *         ({@link ServerConfig#memoryBound()}) does not fit the direct memory this JVM allows
     */
    protected ServerCore(ServerConfig config, String name) {
        this.config = config;
        long bound = config.memoryBound();
        long direct = ServerConfig.directMemoryLimit();
        if (bound + ChunkPool.CHUNK_SIZE * ChunkPool.CHUNKS_PER_SLAB > direct) {
            throw new IllegalArgumentException("--max-buffered " + Sizes.format(config.maxBuffered()) + " + --max-frame "
                    + Sizes.format(config.format().maxFrame()) + " + the small-frame reserve " + Sizes.format(config.smallFrameReserve())
                    + " do not fit the " + Sizes.format(direct) + " of direct memory this JVM may use"
                    + " (-XX:MaxDirectMemorySize, by default -Xmx): raise -Xmx, or lower --max-buffered or --max-frame");
        }
        this.budget = new BufferBudget(config.maxBuffered(), config.format().maxFrame(), config.smallFrameReserve());
        this.pool = new ChunkPool(budget.bound());
        this.stats = new ServerStats(new ServerStats.Gauges() {
            @Override public int openConnections() { return open.get(); }
            @Override public long bufferedBytes() { return budget.used(); }
            @Override public long maxBuffered() { return budget.max(); }
            @Override public int connectionsWaitingForBudget() { return budget.waitingCount(); }
        });
        this.sweeper = new IdleSweeper(config.idleTimeout(), connections, budget, log, name + "-sweeper");
    }

    @Override public ServerConfig config() { return config; }
    @Override public InetSocketAddress address() { return address; }
    @Override public ServerStats stats() { return stats; }
    @Override public State state() { return state; }

    public ConnectionLog log() { return log; }

    /** The server-wide timer handlers may use ({@link loomframe.server.HandlerContext#scheduler()}); made on first use. */
    ScheduledExecutorService scheduler() {
        ScheduledExecutorService s = timer;
        if (s != null) return s;
        synchronized (this) {
            if (timer == null) {
                timer = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().name("loomframe-timer").daemon().unstarted(r));
            }
            return timer;
        }
    }
    public ChunkPool pool() { return pool; }
    public BufferBudget budget() { return budget; }

    protected void bound(SocketAddress local) {
        this.address = (InetSocketAddress) local;
    }

    /** Whether shutdown has begun: accept nothing more. */
    protected boolean isClosing() {
        return closing.get();
    }

    /** The deadline of a frame that starts at {@code now}. */
    long deadlineFrom(long now) {
        return config.hasIdleTimeout() ? now + config.idleTimeout().toNanos() : now + Long.MAX_VALUE / 2;
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

    protected static void closeQuietly(Closeable c) {
        try {
            c.close();
        } catch (IOException | RuntimeException ignored) {
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

    /** A connection is being served; if shutdown began as it was accepted, it is told at once. */
    protected void register(ServedConnection c) {
        connections.add(c);
        stats.connectionOpened();
        if (closing.get()) c.drain();      // accepted just as close() began: it must not be missed
    }

    /** Every connection calls this exactly once, when it has closed. */
    void ended(ServedConnection c, CloseReason reason) {
        if (connections.remove(c)) {
            open.decrementAndGet();
            stats.connectionClosed(reason);
        }
    }

    /** A connection that was registered but could not be started. */
    protected void startFailed(ServedConnection c, Throwable e) {
        log.log(Level.WARNING, "accept", "could not start a connection: " + e, e);
        c.released(CloseReason.START_FAILED);
    }

    /** Stops accepting new connections: close the listening socket. */
    protected abstract void stopAccepting();

    /** Releases what the implementation holds once every connection is gone (thread pools). */
    protected void released() {}

    /**
     * Graceful shutdown: stop accepting at once; let every connection finish the frame it is in
     * and flush the replies it owes; after {@code --shutdown-timeout} close what is left. Whatever
     * one connection throws, the sequence goes on, and {@link #awaitTermination()} returns.
     */
    // tag::shutdown[]
    @Override
    public void close() {
        if (!closing.compareAndSet(false, true)) {
            awaitQuietly();
            return;
        }
        state = State.DRAINING;
        try {
            duty("stopping accepting", this::stopAccepting);
            forEachConnection(ServedConnection::drain);
            waitForConnections(System.nanoTime() + config.shutdownTimeout().toNanos());
            if (!connections.isEmpty()) {
                forEachConnection(ServedConnection::abort);
                waitForConnections(System.nanoTime() + TimeUnit.SECONDS.toNanos(1));
            }
        } finally {
            duty("stopping the sweeper", sweeper::close);
            duty("releasing threads", this::released);
            duty("stopping the timer", () -> {
                if (timer != null) timer.shutdownNow();
            });
            state = State.TERMINATED;
            terminated.countDown();
        }
    }
    // end::shutdown[]

    private void forEachConnection(Consumer<ServedConnection> action) {
        for (ServedConnection c : connections) {
            try {
                action.accept(c);
            } catch (Throwable e) {                           // one connection never stops the shutdown
                log.log(Level.WARNING, "shutdown", "shutdown step failed for " + c.peerName() + ": " + e, e);
            }
        }
    }

    private void duty(String what, Runnable step) {
        try {
            step.run();
        } catch (Throwable e) {
            log.log(Level.WARNING, "shutdown", what + " failed: " + e, e);
        }
    }

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

    /** Connections registered now (tests and diagnostics). */
    public int registeredConnections() {
        return connections.size();
    }
}
