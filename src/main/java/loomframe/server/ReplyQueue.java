package loomframe.server;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.GatheringByteChannel;
import java.util.Arrays;
import loomframe.frame.FrameFormat;

/**
 * The replies of one batch of frames, written together with one gathering write. Every server
 * uses it, so "replies to frames that arrived together go out together" holds in every style.
 *
 * <p>Nothing is copied: each reply is its length field (encoded into one small shared array) and
 * a view of the payload the handler gave. A payload is therefore valid until the batch is
 * written, which the servers guarantee for payloads that are views of their read buffers.
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
    private static final ByteBuffer[] NONE = new ByteBuffer[0];
    private static final byte[] NO_HEADERS = new byte[0];

    // Allocated on the first reply and dropped when large: an idle connection holds two empty arrays.
    private ByteBuffer[] buffers = NONE;
    private int first;                 // first buffer not yet fully written
    private int count;
    private byte[] headers = NO_HEADERS;
    private int headersUsed;
    private long pendingBytes;

    public ReplyQueue(FrameFormat format) {
        this.format = format;
    }

    // tag::reply[]
    @Override
    public void reply(ByteBuffer payload) {
        int length = payload.remaining();
        if (length > format.maxFrame()) {
            throw new IllegalArgumentException("reply of " + length + " bytes exceeds --max-frame " + format.maxFrame());
        }
        int width = format.headerLength();
        if (headersUsed + width > headers.length) {
            headers = new byte[Math.max(64, headers.length * 2)]; // queued views keep the old array
            headersUsed = 0;
        }
        ByteBuffer header = ByteBuffer.wrap(headers, headersUsed, width).slice();
        format.encodeHeader(length, header.duplicate());
        headersUsed += width;
        add(header);
        if (payload.isDirect() || length <= HEAP_CHUNK) {
            if (length > 0) add(payload.duplicate());
        } else {
            for (int at = payload.position(); at < payload.limit(); at += HEAP_CHUNK) {
                add(payload.slice(at, Math.min(HEAP_CHUNK, payload.limit() - at)));
            }
        }
        pendingBytes += width + length;
    }
    // end::reply[]

    private void add(ByteBuffer b) {
        if (count == buffers.length) buffers = Arrays.copyOf(buffers, Math.max(8, count * 2));
        buffers[count++] = b;
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
            long n = channel.write(buffers, first, window());
            written(n);
            total += n;
        }
        return total;
    }
    // end::reply-write-blocking[]

    // --- for an asynchronous write: window(), then buffers()[offset() .. offset()+length], then written(n)

    public ByteBuffer[] buffers() { return buffers; }

    public int offset() { return first; }

    /** How many buffers, from {@link #offset()}, the next write should take; bounded in count and heap bytes. */
    public int window() {
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
            if (buffers.length > 256) buffers = NONE;          // don't keep a huge array for an idle connection
            if (headers.length > 1024) headers = NO_HEADERS;
        }
    }

    /** Drops whatever is queued (the connection is closing). */
    public void clear() {
        Arrays.fill(buffers, 0, count, null);
        first = 0;
        count = 0;
        headersUsed = 0;
        pendingBytes = 0;
    }
}
