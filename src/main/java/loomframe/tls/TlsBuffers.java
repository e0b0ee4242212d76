package loomframe.tls;

import java.nio.ByteBuffer;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The buffers TLS needs for records in flight, shared by every connection of one server (or one
 * load-generator thread) and lent out only while there are bytes in them, or while a read waits
 * for them: an idle TLS connection holds the 4 KiB one its read names. Three sizes, so that memory
 * follows the bytes received:
 *
 * <ul>
 *   <li>{@link #SMALL} (4 KiB): where every read of ciphertext starts, and where the plaintext of a
 *       small record waits. A peer that sends a record header announcing 16 KiB and a few bytes
 *       holds this one, not 16 KiB.</li>
 *   <li>{@code record} (the engine's packet size, 16709 bytes for TLS 1.2 and 1.3): what
 *       {@link javax.net.ssl.SSLEngine#wrap} insists on having free for each record, and what the
 *       plaintext of a full record needs.</li>
 *   <li>{@code large} (four records): reads inside a large frame and writes of a large reply, so
 *       that 64 KiB goes through one system call instead of four.</li>
 * </ul>
 *
 * <p>Heap buffers, except for {@code --impl platform}: the JDK's AES-GCM runs on arrays about
 * twice as fast as on direct memory for full records (measured with the JDK's SSLEngine: a 16 KiB
 * wrap and unwrap in 5.6 µs on the heap, 12 µs direct), and a socket read or write of a heap buffer
 * goes through a temporary direct buffer the JDK caches per thread — per carrier thread for virtual
 * threads, per group thread for the async server, which is cheap. For platform threads that cache
 * would be per connection and stay for the connection's life, so they get direct buffers instead
 * (see docs/COMPARISON.md, 6.2).
 *
 * <p>The pool keeps at most {@link #KEPT_BYTES} of free buffers; beyond that a buffer given back is
 * left to the garbage collector. Thread-safe.
 */
public final class TlsBuffers {
    /** The size every read of ciphertext starts with. */
    public static final int SMALL = 4096;
    /** Free buffers kept for reuse, in bytes of all sizes together. */
    static final long KEPT_BYTES = 8L * 1024 * 1024;

    private final boolean direct;
    private final int record;
    private final int large;
    private final Tier small;
    private final Tier records;
    private final Tier larges;
    private final ReentrantLock lock = new ReentrantLock();   // not synchronized: callers may be virtual threads
    private long keptBytes;                                    // guarded by lock

    /**
     * @param packetSize the engine's packet buffer size ({@link javax.net.ssl.SSLSession#getPacketBufferSize()})
     * @param direct     direct buffers instead of heap ones
     */
    public TlsBuffers(int packetSize, boolean direct) {
        this.direct = direct;
        this.record = Math.max(packetSize, SMALL);
        this.large = 4 * record;
        this.small = new Tier(SMALL);
        this.records = new Tier(record);
        this.larges = new Tier(large);
    }

    /** Whether the buffers are direct. */
    public boolean direct() {
        return direct;
    }

    /** Bytes of one record buffer: room for one record, whatever it holds. */
    public int recordSize() {
        return record;
    }

    /** Bytes of a large buffer: four records. */
    public int largeSize() {
        return large;
    }

    /**
     * An empty buffer of at least {@code capacity} bytes, the smallest size that fits. A capacity
     * above {@link #largeSize()} (a peer using the large fragments some old stacks send) gets a
     * buffer of its own, never kept.
     */
    public ByteBuffer take(int capacity) {
        Tier tier = tierFor(capacity);
        if (tier == null) return allocate(capacity);
        lock.lock();
        try {
            if (tier.count > 0) {
                ByteBuffer b = tier.free[--tier.count];
                tier.free[tier.count] = null;
                keptBytes -= tier.size;
                return b.clear();
            }
        } finally {
            lock.unlock();
        }
        return allocate(tier.size);
    }

    /** Gives a buffer back; its bytes may be handed to another connection at once. */
    public void give(ByteBuffer b) {
        Tier tier = tierFor(b.capacity());
        if (tier == null || tier.size != b.capacity() || b.isDirect() != direct) return;   // not one of ours: the GC has it
        lock.lock();
        try {
            if (keptBytes + tier.size > KEPT_BYTES) return;
            if (tier.count == tier.free.length) tier.free = java.util.Arrays.copyOf(tier.free, tier.free.length * 2);
            tier.free[tier.count++] = b;
            keptBytes += tier.size;
        } finally {
            lock.unlock();
        }
    }

    /** Bytes of free buffers kept now (tests). */
    public long keptBytes() {
        lock.lock();
        try {
            return keptBytes;
        } finally {
            lock.unlock();
        }
    }

    private Tier tierFor(int capacity) {
        if (capacity <= SMALL) return small;
        if (capacity <= record) return records;
        if (capacity <= large) return larges;
        return null;
    }

    private ByteBuffer allocate(int capacity) {
        return direct ? ByteBuffer.allocateDirect(capacity) : ByteBuffer.allocate(capacity);
    }

    private static final class Tier {
        final int size;
        ByteBuffer[] free = new ByteBuffer[16];
        int count;

        Tier(int size) {
            this.size = size;
        }
    }
}
