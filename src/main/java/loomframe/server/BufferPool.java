package loomframe.server;

import java.nio.ByteBuffer;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Read buffers lent to a connection only while it has bytes to read and decode, so that a
 * connection waiting for its next frame holds none. Direct buffers: the kernel reads into them
 * without the copy the JDK makes for heap buffers, and frames that arrive whole are handed to the
 * handler (and echoed) as views of them.
 */
public final class BufferPool {
    /** One batch: many small pipelined frames, or a large piece of a big one. */
    public static final int BATCH_SIZE = 64 * 1024;

    private final ConcurrentLinkedQueue<ByteBuffer> free = new ConcurrentLinkedQueue<>();
    private final AtomicInteger kept = new AtomicInteger();
    private final int maxKept;

    /** @param maxKept buffers kept for reuse; beyond that, returned buffers are left to the GC */
    public BufferPool(int maxKept) {
        this.maxKept = maxKept;
    }

    public ByteBuffer take() {
        ByteBuffer b = free.poll();
        if (b == null) return ByteBuffer.allocateDirect(BATCH_SIZE);
        kept.decrementAndGet();
        return b.clear();
    }

    public void give(ByteBuffer b) {
        if (kept.incrementAndGet() <= maxKept) {
            free.offer(b);
        } else {
            kept.decrementAndGet();
        }
    }
}
