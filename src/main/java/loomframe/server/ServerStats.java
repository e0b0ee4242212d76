package loomframe.server;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * A server's counters, updated by every connection and readable at any time. Counting costs a
 * few uncontended adds per batch, so it is always on.
 */
public final class ServerStats {
    private final LongAdder connections = new LongAdder();
    private final AtomicInteger open = new AtomicInteger();
    private final LongAdder frames = new LongAdder();
    private final LongAdder bytesIn = new LongAdder();
    private final LongAdder bytesOut = new LongAdder();
    private final LongAdder errors = new LongAdder();
    private final LongAdder rejected = new LongAdder();
    private final LongAdder forcedAtShutdown = new LongAdder();
    private final Map<String, LongAdder> closedByReason = new ConcurrentHashMap<>();
    private final AtomicLong buffered;
    private final long maxBuffered;

    public ServerStats(AtomicLong bufferedBytes, long maxBuffered) {
        this.buffered = bufferedBytes;
        this.maxBuffered = maxBuffered;
    }

    // --- updates, called by the servers -------------------------------------------------------

    public void connectionOpened() { connections.increment(); open.incrementAndGet(); }
    public void connectionClosed(String reason) {
        open.decrementAndGet();
        closedByReason.computeIfAbsent(reason, r -> new LongAdder()).increment();
    }
    public void bytesReceived(long bytes) { bytesIn.add(bytes); }
    public void bytesSent(long bytes) { bytesOut.add(bytes); }
    public void frameReceived() { frames.increment(); }
    public void connectionFailed() { errors.increment(); }
    public void connectionRejected() { rejected.increment(); }
    public void connectionForcedAtShutdown() { forcedAtShutdown.increment(); }

    // --- reads -------------------------------------------------------------------------------

    /** Connections accepted and served (rejected ones not included). */
    public long connections() { return connections.sum(); }
    /** Connections open now. */
    public int openConnections() { return open.get(); }
    /** Complete frames received. */
    public long frames() { return frames.sum(); }
    public long bytesIn() { return bytesIn.sum(); }
    public long bytesOut() { return bytesOut.sum(); }
    /** Connections closed because of bad input, a timeout or a reset. */
    public long errors() { return errors.sum(); }
    /** Connections closed at once because {@code --max-connections} were open. */
    public long rejected() { return rejected.sum(); }
    /** Connections still mid-frame when the shutdown timeout ran out. */
    public long forcedAtShutdown() { return forcedAtShutdown.sum(); }
    /** Bytes of partly received frames held now, across all connections. */
    public long bufferedBytes() { return buffered.get(); }
    public long maxBuffered() { return maxBuffered; }

    /** Closed connections by reason: {@code eof}, {@code too-large}, {@code truncated}, {@code idle}, ... */
    public Map<String, Long> closedByReason() {
        var copy = new TreeMap<String, Long>();
        closedByReason.forEach((k, v) -> copy.put(k, v.sum()));
        return copy;
    }

    /** One line for logs and the end of {@code serve}. */
    @Override
    public String toString() {
        return "connections=" + connections() + " open=" + openConnections() + " frames=" + frames()
                + " bytes_in=" + bytesIn() + " bytes_out=" + bytesOut() + " errors=" + errors()
                + " rejected=" + rejected() + " buffered=" + bufferedBytes() + "/" + maxBuffered
                + (forcedAtShutdown() > 0 ? " forced_at_shutdown=" + forcedAtShutdown() : "")
                + " closed=" + closedByReason();
    }
}
