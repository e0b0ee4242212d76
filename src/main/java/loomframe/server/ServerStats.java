package loomframe.server;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * A server's counters, updated by every connection and readable at any time from any thread.
 * Counting costs a few uncontended adds per batch of frames (no lock, no allocation), so it is
 * always on; the stats line, {@code --stats-interval} and the Prometheus metrics all read these.
 *
 * <p>Counters only grow; {@link #openConnections()}, {@link #bufferedBytes()} and
 * {@link #connectionsWaitingForBudget()} are gauges read from the server's live state.
 */
public final class ServerStats {

    /** The server's live state that the gauges read; supplied by the implementation. */
    public interface Gauges {
        int openConnections();
        long bufferedBytes();
        long maxBuffered();
        int connectionsWaitingForBudget();
    }

    /** Frame sizes are counted in powers of two: bucket {@code b} holds sizes up to {@code 2^b} bytes. */
    public static final int SIZE_BUCKETS = 32;

    private final Gauges gauges;
    private final LongAdder connectionsOpened = new LongAdder();
    private final LongAdder rejected = new LongAdder();
    private final LongAdder framesReceived = new LongAdder();
    private final LongAdder payloadBytesReceived = new LongAdder();   // the frame-size histogram's sum
    private final LongAdder framesSent = new LongAdder();
    private final LongAdder bytesReceived = new LongAdder();
    private final LongAdder bytesSent = new LongAdder();
    private final LongAdder[] closed = adders(CloseReason.values().length);
    private final LongAdder[] frameSizes = adders(SIZE_BUCKETS);

    public ServerStats(Gauges gauges) {
        this.gauges = gauges;
    }

    private static LongAdder[] adders(int n) {
        LongAdder[] a = new LongAdder[n];
        for (int i = 0; i < n; i++) a[i] = new LongAdder();
        return a;
    }

    // --- updates, called by the servers -------------------------------------------------------

    public void connectionOpened() { connectionsOpened.increment(); }
    public void connectionClosed(CloseReason reason) { closed[reason.ordinal()].increment(); }
    public void connectionRejected() { rejected.increment(); }
    public void bytesReceived(long bytes) { bytesReceived.add(bytes); }
    public void bytesSent(long bytes) { bytesSent.add(bytes); }
    public void framesSent(long frames) { framesSent.add(frames); }

    /** A complete frame of {@code payloadBytes} arrived. */
    public void frameReceived(int payloadBytes) {
        framesReceived(1, payloadBytes);
        framesOfSize(sizeBucket(payloadBytes), 1);
    }

    /** {@code frames} complete frames arrived, {@code payloadBytes} in all: how a connection counts a batch at once. */
    public void framesReceived(long frames, long payloadBytes) {
        framesReceived.add(frames);
        payloadBytesReceived.add(payloadBytes);
    }

    /** {@code frames} of them had a size in {@code bucket} ({@link #sizeBucket}). */
    public void framesOfSize(int bucket, long frames) {
        frameSizes[bucket].add(frames);
    }

    /** The bucket of a payload size: the smallest {@code b} with {@code size <= 2^b}. */
    public static int sizeBucket(int size) {
        return size <= 1 ? 0 : 32 - Integer.numberOfLeadingZeros(size - 1);
    }

    // --- reads -------------------------------------------------------------------------------

    /** Connections accepted and served (rejected ones not included). */
    public long connections() { return connectionsOpened.sum(); }
    /** Connections open now. */
    public int openConnections() { return gauges.openConnections(); }
    /** Complete frames received. */
    public long frames() { return framesReceived.sum(); }
    /** Reply frames written out in full. */
    public long framesSent() { return framesSent.sum(); }
    /** Payload bytes of the complete frames received (length fields not included). */
    public long payloadBytes() { return payloadBytesReceived.sum(); }
    public long bytesIn() { return bytesReceived.sum(); }
    public long bytesOut() { return bytesSent.sum(); }
    /** Connections closed at once because {@code --max-connections} were open. */
    public long rejected() { return rejected.sum(); }
    /** Bytes the server holds for frames now, across all connections. */
    public long bufferedBytes() { return gauges.bufferedBytes(); }
    /** {@code --max-buffered}. */
    public long maxBuffered() { return gauges.maxBuffered(); }
    /** Connections that have stopped reading until the buffer budget has room for them. */
    public int connectionsWaitingForBudget() { return gauges.connectionsWaitingForBudget(); }

    /** Connections closed for {@code reason} so far. */
    public long closed(CloseReason reason) { return closed[reason.ordinal()].sum(); }

    /** Connections closed for a reason that counts as an error ({@link CloseReason#isError()}). */
    public long errors() {
        long n = 0;
        for (CloseReason r : CloseReason.values()) if (r.isError()) n += closed(r);
        return n;
    }

    /** Connections still mid-frame when the shutdown timeout ran out. */
    public long forcedAtShutdown() { return closed(CloseReason.FORCED); }

    /** Closed connections by reason, only the reasons that occurred. */
    public Map<CloseReason, Long> closedByReason() {
        var copy = new EnumMap<CloseReason, Long>(CloseReason.class);
        for (CloseReason r : CloseReason.values()) {
            long n = closed(r);
            if (n > 0) copy.put(r, n);
        }
        return Collections.unmodifiableMap(copy);
    }

    /** Frames received by payload size: element {@code b} counts sizes in {@code (2^(b-1), 2^b]} (bucket 0: 0 and 1 byte). */
    public long[] frameSizeCounts() {
        long[] counts = new long[SIZE_BUCKETS];
        for (int b = 0; b < SIZE_BUCKETS; b++) counts[b] = frameSizes[b].sum();
        return counts;
    }

    /**
     * One line for logs and the end of {@code serve}, with stable field names:
     * {@code connections=3 open=0 frames=5 bytes_in=52 bytes_out=40 errors=1 rejected=0 buffered=0/16777216 closed={eof=2, too-large=1}}.
     */
    @Override
    public String toString() {
        var byReason = new TreeMap<String, Long>();          // by name, as scripts have always seen them
        closedByReason().forEach((r, n) -> byReason.put(r.label(), n));
        return "connections=" + connections() + " open=" + openConnections() + " frames=" + frames()
                + " bytes_in=" + bytesIn() + " bytes_out=" + bytesOut() + " errors=" + errors()
                + " rejected=" + rejected() + " buffered=" + bufferedBytes() + "/" + maxBuffered()
                + (forcedAtShutdown() > 0 ? " forced_at_shutdown=" + forcedAtShutdown() : "")
                + " closed=" + byReason;
    }
}
