package loomframe.server.core;

import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Enforces {@code --idle-timeout} for every connection of a server with one thread, and hands the
 * buffer budget's overdraft on from a frame that stopped arriving.
 *
 * <p>Why a sweep and not a timeout per read: a socket read timeout arms a timer for every read
 * (for a virtual thread, a scheduled task per park), and the deadline must cover a whole frame,
 * not each read, or a peer trickling one byte a second would never be caught. Here a connection
 * only writes a {@code volatile long} when a frame completes; one thread walks all connections a
 * few times per timeout and ends those past their deadline. At 10,000 connections a sweep is
 * 20,000 volatile reads, a few times a second: nothing next to serving them. The price is
 * precision: a connection is closed up to one sweep period after its deadline.
 *
 * <p>A server-wide duty: whatever one connection throws when it is told to end is logged and the
 * sweep goes on with the next, and nothing thrown ends the sweeps (a task of
 * {@code scheduleWithFixedDelay} that throws is never run again).
 */
final class IdleSweeper implements AutoCloseable {
    private final ScheduledExecutorService timer;
    private final Set<ServedConnection> connections;
    private final BufferBudget budget;
    private final ConnectionLog log;
    private final boolean enforceDeadlines;

    IdleSweeper(Duration idleTimeout, Set<ServedConnection> connections, BufferBudget budget, ConnectionLog log, String name) {
        this.connections = connections;
        this.budget = budget;
        this.log = log;
        this.enforceDeadlines = !idleTimeout.isZero();
        long periodMs = enforceDeadlines ? Math.clamp(idleTimeout.toMillis() / 8, 10, 1000) : 250;
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(this::sweep, periodMs, periodMs, TimeUnit.MILLISECONDS);
    }

    // tag::idle-sweep[]
    private void sweep() {
        try {
            long now = System.nanoTime();
            if (enforceDeadlines) {
                for (ServedConnection c : connections) {
                    if (!c.deadlinePaused() && now - c.deadline() > 0) expire(c);
                }
            }
            budget.sweep(now);
        } catch (Throwable e) {                              // never let one sweep end all the others
            log.log(Level.WARNING, "sweep", "idle sweep failed: " + e, e);
        }
    }

    private void expire(ServedConnection c) {
        try {
            c.expire();
        } catch (Throwable e) {                              // one connection never stops the sweep
            log.log(Level.WARNING, "sweep", "ending " + c.peerName() + " at its idle deadline failed: " + e, e);
        }
    }
    // end::idle-sweep[]

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
