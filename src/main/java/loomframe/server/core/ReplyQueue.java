package loomframe.server.core;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.GatheringByteChannel;
import java.util.Arrays;
import loomframe.frame.FrameFormat;
import loomframe.server.Payload;
import loomframe.server.Replies;

/**
 * The replies of one batch of frames, written together with one gathering write. Every server
 * uses it, so "replies to frames that arrived together go out together" holds in every style.
 *
 * <p>Nothing is copied: each reply is its length field (encoded into the connection's direct header
 * slot, or a small heap array when a batch has more replies than the slot has room for) and
 * views of the payload the handler gave — for an echo, the very chunks the frame was read into.
 * A payload is therefore valid until the batch is written, which the servers guarantee for the
 * payloads they hand out.
 *
 * <p>To write: {@link #buffers()} from {@link #offset()}, {@link #writeLength()} of them, then
 * report the count with {@link #written(long)}; or {@link #writeTo} on a blocking channel.
 */
public final class ReplyQueue implements Replies {
    // tag::heap-chunk[]
    /**
     * Largest piece of a heap buffer handed to the kernel in one call. The JDK copies a heap
     * buffer into a temporary direct buffer as large as the write and caches it per thread, so a
     * 16 MiB reply written in one call would leave 16 MiB of native memory behind per thread.
     */
    static final int HEAP_CHUNK = 256 * 1024;
    // end::heap-chunk[]
    /** Most heap bytes in one gathering write, for the same reason. */
    static final int WRITE_WINDOW = 1024 * 1024;
    /** Most buffers in one gathering write (IOV_MAX on Linux). */
    static final int MAX_BUFFERS = 1024;

    private final FrameFormat format;
    private final ByteBuffer directHeaders;   // direct: the JDK writes it without a temporary copy (see ChunkPool)
    private int directUsed;
    private static final ByteBuffer[] NONE = new ByteBuffer[0];
    private static final byte[] NO_HEADERS = new byte[0];

    // Allocated on the first reply and dropped when large: an idle connection holds two empty arrays.
    private ByteBuffer[] buffers = NONE;
    private int first;                 // first buffer not yet fully written
    private int count;
    private byte[] headers = NO_HEADERS;
    private int headersUsed;
    private long pendingBytes;
    private int repliesQueued;          // replies not yet written out in full, counted once the queue empties
    private ByteBuffer lastChunk;       // the chunk the last buffer echoes, and where in it that echo ends
    private int lastEnd;
    private long repliesWritten;        // replies written out in full, not yet taken by takeRepliesWritten()

    /** A queue whose reply length fields go into heap arrays (tests, clients). */
    public ReplyQueue(FrameFormat format) {
        this(format, null);
    }

    /** @param directHeaders direct room for the length fields of a batch's replies (may be null) */
    public ReplyQueue(FrameFormat format, ByteBuffer directHeaders) {
        this.format = format;
        this.directHeaders = directHeaders;
    }

    // tag::reply[]
    @Override
    public void reply(ByteBuffer payload) {
        int length = payload.remaining();
        addHeader(length);
        addBody(payload.duplicate());                                  // a view: the reply consumes its own position
        pendingBytes += format.headerLength() + length;
        repliesQueued++;
    }

    @Override
    public void reply(Payload payload) {
        if (payload instanceof ArrivedPayload a && a.format.equals(format)) {
            replyAsArrived(a);
            return;
        }
        int length = payload.size();
        addHeader(length);
        for (int i = 0; i < payload.partCount(); i++) addBody(payload.part(i));  // part(i) is a fresh view
        pendingBytes += format.headerLength() + length;
        repliesQueued++;
    }
    // end::reply[]

    /**
     * An echo of a frame in the format it came in: its bytes as they arrived. Frames that arrived
     * back to back in one chunk are echoed by one buffer that grows with each of them, so a batch of
     * pipelined echoes is one iovec of the gathering write, not two per frame.
     */
    private void replyAsArrived(ArrivedPayload a) {
        int end = a.frameStart + a.frameLength;
        if (count > first && lastChunk == a.chunk && lastEnd == a.frameStart) {
            ByteBuffer last = buffers[count - 1];
            last.limit(end);                                          // the previous echo ends where this one starts
        } else {
            add(a.chunk.duplicate().limit(end).position(a.frameStart));
        }
        lastChunk = a.chunk;
        lastEnd = end;
        pendingBytes += a.frameLength;
        repliesQueued++;
    }

    private void addBody(ByteBuffer view) {
        int length = view.remaining();
        if (view.isDirect() || length <= HEAP_CHUNK) {
            if (length > 0) add(view);
        } else {
            for (int at = view.position(); at < view.limit(); at += HEAP_CHUNK) {
                add(view.slice(at, Math.min(HEAP_CHUNK, view.limit() - at)));
            }
        }
    }

    private void addHeader(int length) {
        if (length > format.maxFrame()) {
            throw new IllegalArgumentException("reply of " + length + " bytes exceeds --max-frame " + format.maxFrame());
        }
        int width = format.headerLength();
        if (directHeaders != null && directUsed + width <= directHeaders.capacity()) {
            format.encodeHeader(length, directHeaders, directUsed);
            add(directHeaders.slice(directUsed, width));
            directUsed += width;
            return;
        }
        if (headersUsed + width > headers.length) {
            headers = new byte[Math.max(64, headers.length * 2)]; // queued views keep the old array
            headersUsed = 0;
        }
        ByteBuffer header = ByteBuffer.wrap(headers);
        format.encodeHeader(length, header, headersUsed);
        add(header.slice(headersUsed, width));
        headersUsed += width;
    }

    private void add(ByteBuffer b) {
        if (count == buffers.length) buffers = Arrays.copyOf(buffers, Math.max(8, count * 2));
        buffers[count++] = b;
        lastChunk = null;                                             // only an echo may grow the last buffer
    }

    public boolean isEmpty() {
        return first == count;
    }

    /** For an idle-timeout message: {@code "; 4096 reply bytes unsent (peer not reading)"}, or "". */
    public String describeUnsent() {
        return isEmpty() ? "" : "; " + pendingBytes + " reply bytes unsent (peer not reading)";
    }

    /** Reply bytes queued and not yet written. */
    public long pendingBytes() {
        return pendingBytes;
    }

    // tag::reply-write-blocking[]
    /** Writes everything queued, blocking until the kernel took it all (blocking servers). */
    public long writeTo(GatheringByteChannel channel) throws IOException {
        long total = 0;
        while (!isEmpty()) {
            long n = channel.write(buffers, first, writeLength());
            written(n);
            total += n;
        }
        return total;
    }
    // end::reply-write-blocking[]

    // --- for an asynchronous write: buffers()[offset() .. offset()+writeLength()), then written(n)

    public ByteBuffer[] buffers() { return buffers; }

    public int offset() { return first; }

    /** How many buffers, from {@link #offset()}, the next write should take; bounded in count and heap bytes. */
    public int writeLength() {
        int end = first;
        long heapBytes = 0;
        while (end < count && end - first < MAX_BUFFERS) {
            ByteBuffer b = buffers[end];
            if (!b.isDirect()) {
                if (heapBytes > 0 && heapBytes + b.remaining() > WRITE_WINDOW) break;
                heapBytes += b.remaining();
            }
            end++;
        }
        return end - first;
    }

    /** Records that a write took {@code n} bytes; forgets the buffers fully written. */
    public void written(long n) {
        pendingBytes -= n;
        while (first < count && !buffers[first].hasRemaining()) {
            buffers[first++] = null;
        }
        if (first == count) {
            first = 0;
            count = 0;
            headersUsed = 0;
            directUsed = 0;
            repliesWritten += repliesQueued;
            repliesQueued = 0;
            if (buffers.length > 256) buffers = NONE;          // don't keep a huge array for an idle connection
            if (headers.length > 1024) headers = NO_HEADERS;
        }
    }

    /** Replies written out in full since the last call, and reset: the connection adds them to the server's counters. */
    public long takeRepliesWritten() {
        long n = repliesWritten;
        repliesWritten = 0;
        return n;
    }

    /** Drops whatever is queued (the connection is closing). */
    public void clear() {
        repliesQueued = 0;
        Arrays.fill(buffers, 0, count, null);
        first = 0;
        count = 0;
        headersUsed = 0;
        directUsed = 0;
        pendingBytes = 0;
    }
}
