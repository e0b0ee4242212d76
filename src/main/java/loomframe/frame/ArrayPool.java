package loomframe.frame;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Body arrays reused across frames and connections, so that a stream of large frames does not
 * allocate (and zero, and collect) a new array per frame. Sizes are powers of two; each size has
 * its own free list; the total kept is bounded, and anything beyond is left to the GC.
 *
 * <p>The pool belongs to a server, not to a connection: an idle connection holds no array, and
 * memory still follows the bytes received — an array is taken only when bytes arrive to fill it.
 * A taken array is not zeroed; the decoder only ever exposes the bytes it filled.
 */
public final class ArrayPool {
    /** Arrays below this size are cheap to allocate in a thread-local buffer and are not pooled. */
    static final int MIN_POOLED = 4 * 1024;

    /** No pooling: every array is new. */
    public static final ArrayPool NONE = new ArrayPool(0, 0);

    private final int maxPooled;
    private final long maxKept;
    private final AtomicLong kept = new AtomicLong();
    private final List<ConcurrentLinkedQueue<byte[]>> free = new ArrayList<>(32);   // one per power of two

    /**
     * @param maxPooled largest array size kept for reuse
     * @param maxKept   most bytes kept in all free lists together
     */
    public ArrayPool(int maxPooled, long maxKept) {
        this.maxPooled = maxPooled;
        this.maxKept = maxKept;
        for (int i = 0; i < 32; i++) free.add(new ConcurrentLinkedQueue<>());
    }

    /** An array of exactly {@code size} bytes, reused when one is free. */
    public byte[] take(int size) {
        if (pooled(size)) {
            byte[] a = free.get(slot(size)).poll();
            if (a != null) {
                kept.addAndGet(-size);
                return a;
            }
        }
        return new byte[size];
    }

    /** Gives back an array nobody uses any more. */
    public void give(byte[] a) {
        int size = a.length;
        if (!pooled(size)) return;
        if (kept.addAndGet(size) > maxKept) {
            kept.addAndGet(-size);
            return;
        }
        free.get(slot(size)).offer(a);
    }

    private boolean pooled(int size) {
        return size >= MIN_POOLED && size <= maxPooled && Integer.bitCount(size) == 1;
    }

    private static int slot(int powerOfTwo) {
        return Integer.numberOfTrailingZeros(powerOfTwo);
    }
}
