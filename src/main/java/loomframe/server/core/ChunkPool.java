package loomframe.server.core;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The direct memory a server keeps frames in: fixed-size chunks, carved out of 1 MiB slabs and
 * reused across frames and connections. Every byte a connection reads goes straight into a chunk
 * (direct, so the JDK reads into it without a temporary copy), a frame is a run of chunks (so a
 * 16 MiB frame never needs one 16 MiB array, let alone a humongous one on the heap), and an echo
 * writes the same chunks back out.
 *
 * <p>The pool never holds more than {@code maxBytes} in all (free and in use): that is the
 * server's whole {@link loomframe.server.ServerConfig#memoryBound() memory bound}, and the
 * {@link BufferBudget} is what keeps the chunks in use within it. Slabs, once allocated, are kept:
 * freeing direct memory without a GC is not possible in the JDK's public API, and reuse is the point.
 *
 * <p>Also hands out each connection's small direct header slot (128 bytes, from 64 KiB slabs): the
 * window it reads length fields into and room for the length fields of its replies. So no read or
 * write of a connection involves a heap buffer — which matters beyond the copy: the JDK caches the
 * temporary direct buffers it copies heap buffers through per carrier thread, which for
 * {@code --impl platform} means per connection: a 1024-slot array and its buffers for every
 * connection that ever did one such read or write.
 *
 * <p>Thread-safe; each take and give holds a lock for a few array operations.
 */
public final class ChunkPool {
    /** Bytes per chunk: a small frame and its header fit one; large frames take many. */
    public static final int CHUNK_SIZE = 4096;
    static final int CHUNKS_PER_SLAB = 256;
    /** Bytes of a connection's header slot: its length-field window and room for a batch's reply headers. */
    public static final int HEADER_SLOT = 128;
    static final int SLOTS_PER_SLAB = 512;

    /** One chunk. Its bytes belong to one connection from {@link #take} until {@link #give}. */
    public static final class Chunk {
        final ByteBuffer buffer;      // reads go here, at [filled, capacity)
        final ByteBuffer readOnly;    // the same memory; payloads are slices of it
        int filled;                   // bytes read into it so far: written by its connection only
        boolean small;                // counted in the budget's small-frame reserve, not its main share
        private boolean free;         // guarded by the pool's lock

        private Chunk(ByteBuffer buffer) {
            this.buffer = buffer;
            this.readOnly = buffer.asReadOnlyBuffer();
        }
    }

    private final int maxChunks;
    private final ReentrantLock lock = new ReentrantLock();
    private Chunk[] free = new Chunk[CHUNKS_PER_SLAB];   // a stack: the most recently used chunk is reused first
    private int freeCount;
    private int allocated;
    private ByteBuffer[] freeSlots = new ByteBuffer[0];
    private int freeSlotCount;
    private int slotsAllocated;

    /** @param maxBytes most chunk memory ever allocated (rounded up to whole slabs) */
    public ChunkPool(long maxBytes) {
        long slabs = (maxBytes + (long) CHUNK_SIZE * CHUNKS_PER_SLAB - 1) / ((long) CHUNK_SIZE * CHUNKS_PER_SLAB);
        this.maxChunks = (int) Math.min(Integer.MAX_VALUE - CHUNKS_PER_SLAB, slabs * CHUNKS_PER_SLAB);
    }

    /**
     * Takes {@code n} chunks into {@code into[at .. at+n)}, each empty ({@code filled} 0).
     *
     * @throws IllegalStateException if that would exceed the bound: the budget let a connection
     *         hold more than the server may (a bug, not a peer's doing)
     */
    public void take(Chunk[] into, int at, int n) {
        lock.lock();
        try {
            while (freeCount < n) {
                if (allocated + CHUNKS_PER_SLAB > maxChunks) {
                    throw new IllegalStateException("chunk pool exhausted: " + allocated + " chunks of " + CHUNK_SIZE
                            + " bytes allocated, " + (allocated - freeCount) + " in use, " + n + " more asked for");
                }
                allocateSlab();
            }
            for (int i = 0; i < n; i++) {
                Chunk c = free[--freeCount];
                free[freeCount] = null;
                c.free = false;
                c.filled = 0;
                c.small = false;
                into[at + i] = c;
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Gives a chunk back. Its bytes may be handed to another connection at once.
     *
     * @throws IllegalStateException if it was given back already: two owners would then share it,
     *         and one client could see another's bytes
     */
    public void give(Chunk c) {
        lock.lock();
        try {
            if (c.free) throw new IllegalStateException("a chunk was given back to the pool twice");
            c.free = true;
            free[freeCount++] = c;
        } finally {
            lock.unlock();
        }
    }

    private void allocateSlab() {
        ByteBuffer slab = ByteBuffer.allocateDirect(CHUNK_SIZE * CHUNKS_PER_SLAB);
        if (free.length < allocated + CHUNKS_PER_SLAB) {
            free = Arrays.copyOf(free, Math.max(free.length * 2, allocated + CHUNKS_PER_SLAB));
        }
        for (int i = 0; i < CHUNKS_PER_SLAB; i++) {
            Chunk c = new Chunk(slab.slice(i * CHUNK_SIZE, CHUNK_SIZE));
            c.free = true;
            free[freeCount++] = c;
        }
        allocated += CHUNKS_PER_SLAB;
    }

    /** A connection's {@value #HEADER_SLOT}-byte direct header slot; give it back with {@link #giveHeaderSlot}. */
    public ByteBuffer takeHeaderSlot() {
        lock.lock();
        try {
            if (freeSlotCount == 0) {
                ByteBuffer slab = ByteBuffer.allocateDirect(HEADER_SLOT * SLOTS_PER_SLAB);
                freeSlots = Arrays.copyOf(freeSlots, freeSlots.length + SLOTS_PER_SLAB);
                for (int i = 0; i < SLOTS_PER_SLAB; i++) freeSlots[freeSlotCount++] = slab.slice(i * HEADER_SLOT, HEADER_SLOT);
                slotsAllocated += SLOTS_PER_SLAB;
            }
            ByteBuffer slot = freeSlots[--freeSlotCount];
            freeSlots[freeSlotCount] = null;
            return slot.clear();
        } finally {
            lock.unlock();
        }
    }

    public void giveHeaderSlot(ByteBuffer slot) {
        lock.lock();
        try {
            freeSlots[freeSlotCount++] = slot;
        } finally {
            lock.unlock();
        }
    }

    /** Chunks held by connections now. */
    public int chunksInUse() {
        lock.lock();
        try {
            return allocated - freeCount;
        } finally {
            lock.unlock();
        }
    }

    /** Header slots held by connections now. */
    public int headerSlotsInUse() {
        lock.lock();
        try {
            return slotsAllocated - freeSlotCount;
        } finally {
            lock.unlock();
        }
    }

    /** Direct memory the pool has allocated (kept for reuse once allocated). */
    public long allocatedBytes() {
        lock.lock();
        try {
            return (long) allocated * CHUNK_SIZE + (long) slotsAllocated * HEADER_SLOT;
        } finally {
            lock.unlock();
        }
    }
}
