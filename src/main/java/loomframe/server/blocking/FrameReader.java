package loomframe.server.blocking;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import loomframe.frame.FrameDecoder;
import loomframe.frame.FrameException;
import loomframe.server.BufferBudget;
import loomframe.server.BufferPool;

/**
 * Blocking reads of whole frames for one connection: {@code next()} returns the next payload,
 * reading as much as it needs — the {@code readFully} of this protocol, on a {@link ByteBuffer}.
 *
 * <p>What it reads into decides what an idle connection costs, so it chooses each time:
 * <ul>
 *   <li>after a read that filled its buffer, if bytes are already waiting in the kernel
 *       ({@code available() > 0}): a pooled 64 KiB batch buffer, read without blocking. Many
 *       pipelined frames arrive in one read, and frames that lie wholly in it are handed on as
 *       views, without a copy;</li>
 *   <li>nothing waiting, inside a frame's body: the decoder's body buffer, which grows with the
 *       bytes that arrive (and asks the global budget first);</li>
 *   <li>nothing waiting, between frames or inside a length field: the decoder's length field
 *       itself. This is where an idle connection parks — holding no read buffer at all.</li>
 * </ul>
 * The pooled buffer goes back as soon as its bytes are decoded, so only connections with bytes
 * to process hold one.
 */
final class FrameReader {
    /** Most bytes one read may put into a body buffer: bounds the JDK's temporary native copy. */
    private static final int BODY_READ_CHUNK = 256 * 1024;

    private final SocketChannel channel;
    private final FrameDecoder decoder;
    private final BufferPool pool;
    private final BufferBudget budget;
    private final BudgetWait budgetWait;
    private InputStream kernelBytes;        // only for available(): how much the kernel holds
    private ByteBuffer batch;               // borrowed while it holds bytes not yet decoded
    private boolean lastReadFilled;         // the last read filled its buffer: more is probably waiting
    private long bytesRead;

    /** Parks the connection's thread until the budget grants room (or the connection ends). */
    interface BudgetWait {
        void await() throws IOException;
    }

    /** Tells the reader whether to stop at the next frame boundary instead of waiting there. */
    interface Boundary {
        /** Called just before parking between frames; {@code false} means "don't wait, stop". */
        boolean mayWait();

        /** Called when the thread is no longer parked between frames. */
        void done();
    }

    FrameReader(SocketChannel channel, FrameDecoder decoder, BufferPool pool, BufferBudget budget, BudgetWait budgetWait) {
        this.channel = channel;
        this.decoder = decoder;
        this.pool = pool;
        this.budget = budget;
        this.budgetWait = budgetWait;
    }

    // tag::blocking-read-frame[]
    /**
     * The next frame's payload, blocking until it has arrived whole.
     *
     * @return the payload, or {@code null} at a clean end of stream between frames (or when
     *         {@code boundary} says to stop there)
     * @throws FrameException the peer broke the protocol, or the stream ended inside a frame
     */
    ByteBuffer next(Boundary boundary) throws IOException {
        while (true) {
            if (batch != null) {                                  // frames already read
                ByteBuffer payload = decoder.next(batch);
                if (payload != null) return payload;
                pool.give(batch);                                 // drained: the rest is kept by the decoder
                batch = null;
            }
            if (lastReadFilled && decoder.bodyRemaining() < BufferPool.BATCH_SIZE) {
                int ready = available();                          // more is probably waiting: how much?
                if (ready > 0) {
                    batch = pool.take();                          // take it all at once, into a batch buffer
                    batch.limit(Math.min(ready, budget.batchReadLimit(batch.capacity())));
                    count(channel.read(batch));                   // cannot block: the bytes are there
                    lastReadFilled = ready > batch.limit();
                    batch.flip();
                    continue;
                }
            }
            ByteBuffer window = decoder.window(BODY_READ_CHUNK);  // read straight into the frame
            if (window == null) {                                 // body must grow, budget exhausted
                budgetWait.await();
                continue;
            }
            boolean betweenFrames = !decoder.inFrame();
            if (betweenFrames && !boundary.mayWait()) return null;
            int n;
            try {
                n = channel.read(window);                         // parks here when idle
            } finally {
                if (betweenFrames) boundary.done();
            }
            if (n < 0) {
                decoder.endOfStream();                            // throws if a frame was cut short
                return null;
            }
            count(n);
            lastReadFilled = !window.hasRemaining();
            ByteBuffer payload = decoder.filled(n);
            if (payload != null) return payload;
        }
    }
    // end::blocking-read-frame[]

    /** Whether another complete frame is already here, so replies can wait to go out together. */
    boolean hasBufferedFrame() {
        return batch != null && batch.hasRemaining() && decoder.hasCompleteFrame(batch);
    }

    private int available() throws IOException {
        if (kernelBytes == null) kernelBytes = channel.socket().getInputStream();
        return kernelBytes.available();
    }

    private void count(int n) {
        if (n > 0) bytesRead += n;
    }

    /** Bytes read so far, and reset: the connection adds them to the server's counters per batch. */
    long takeBytesRead() {
        long n = bytesRead;
        bytesRead = 0;
        return n;
    }

    /** The payloads returned so far are no longer used: their replies are written. */
    void payloadsDone() {
        decoder.payloadsDone();
    }

    /** How far the current frame got, for log lines. */
    String progress() {
        return decoder.progress();
    }

    /** Gives back the batch buffer and the partial frame's memory: the connection is closing. */
    void release() {
        if (batch != null) pool.give(batch);
        batch = null;
        decoder.release();
    }
}
