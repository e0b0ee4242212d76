package loomframe.server;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Enforces {@code --idle-timeout} for every connection of a server with one thread.
 *
 * <p>Why a sweep and not a timeout per read: a socket read timeout arms a timer for every read
 * (for a virtual thread, a scheduled task per park), and the deadline must cover a whole frame,
 * not each read, or a peer trickling one byte a second would never be caught. Here a connection
 * only writes one {@code volatile long} when a frame starts; one thread walks all connections a
 * few times per timeout and closes those past their deadline. At 10,000 connections a sweep is
 * 10,000 volatile reads, a few times a second: nothing next to serving them. The price is
 * precision: a connection is closed up to one sweep period after its deadline.
 */
final class IdleSweeper implements AutoCloseable {
    private final ScheduledExecutorService timer;

    IdleSweeper(Duration idleTimeout, Set<ServedConnection> connections, String name) {
        long periodMs = Math.clamp(idleTimeout.toMillis() / 8, 10, 1000);
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(() -> sweep(connections), periodMs, periodMs, TimeUnit.MILLISECONDS);
    }

    // tag::idle-sweep[]
    private static void sweep(Set<ServedConnection> connections) {
        long now = System.nanoTime();
        for (ServedConnection c : connections) {
            if (now - c.deadline() > 0) {
                c.expire();
            }
        }
    }
    // end::idle-sweep[]

    /** Deadline for a frame starting now. */
    static long deadlineFrom(long now, Duration idleTimeout) {
        return idleTimeout.isZero() ? now + Long.MAX_VALUE / 2 : now + idleTimeout.toNanos();
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }

    static Set<ServedConnection> newRegistry() {
        return ConcurrentHashMap.newKeySet();
    }
}
