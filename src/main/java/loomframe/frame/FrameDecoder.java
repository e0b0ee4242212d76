package loomframe.frame;

import java.nio.ByteBuffer;

/**
 * Turns a byte stream, cut anywhere, back into frames. Every server and the client use it; they
 * differ only in how they wait for bytes.
 *
 * <p>An explicit two-state machine:
 * <pre>
 *   HEADER(filled of width) --length field complete--> BODY(filled of length) --complete--> HEADER(0)
 *                    \--length 0: a zero-length frame is complete at once--/
 * </pre>
 *
 * <p>Bytes reach it in one of two ways, and both can be mixed freely:
 * <ul>
 *   <li>{@link #next(ByteBuffer)} takes frames out of a buffer the caller read into. A frame
 *       that lies wholly in that buffer is returned as a view of it: no copy. Only the bytes of
 *       a frame cut by the end of the buffer are copied in and kept.</li>
 *   <li>{@link #window()} and {@link #filled(int)} let the caller read straight into the
 *       decoder: into the length field itself (so a connection waiting for its next frame holds
 *       no read buffer at all) or into the body being assembled.</li>
 * </ul>
 *
 * <p><b>Memory follows bytes received, not bytes announced.</b> A body being assembled starts at
 * what has arrived (1 KiB at least, {@link #FIRST_BODY_CHUNK} at most) and doubles only when full,
 * up to the announced length, so a peer that announces 16 MiB and sends 4 bytes costs 1 to 16 KiB,
 * not 16 MiB. Each growth asks a
 * {@link Memory}: that is where a server's global budget of buffered bytes says no.
 *
 * <p>Not thread-safe: one decoder per connection, used by one thread at a time.
 */
public final class FrameDecoder {

    /** The first allocation for a body that did not arrive whole: small frames never pay for large ones. */
    public static final int FIRST_BODY_CHUNK = 16 * 1024;
    /** The smallest body buffer allocated for bytes copied in from a read buffer. */
    static final int MIN_BODY_CHUNK = 1024;

    /** Accounts for the bytes a decoder holds; the server's budget implements it. */
    public interface Memory {
        /**
         * Asks for {@code bytes} more. With {@code force} the bytes have already arrived and
         * must be kept (they are counted, and the answer is always yes); otherwise the answer
         * may be no, and the caller waits before reading more.
         */
        boolean acquire(long bytes, boolean force);

        /** Gives {@code bytes} back. */
        void release(long bytes);

        /**
         * Gives back the bytes of frames that completed and whose payloads are no longer used
         * (their replies are written). By default the same as {@link #release}.
         */
        default void completed(long bytes) {
            release(bytes);
        }

        /** No accounting and no limit. */
        Memory UNLIMITED = new Memory() {
            @Override public boolean acquire(long bytes, boolean force) { return true; }
            @Override public void release(long bytes) {}
        };
    }

    private final FrameFormat format;
    private final Memory memory;

    private final byte[] header;            // the length field being read
    private final ByteBuffer headerWindow;  // a reusable view of it, to read into directly
    private int headerFilled;

    private int bodyLength = -1;            // -1: reading the header
    private byte[] body;                    // assembly buffer for a body that did not arrive whole
    private ByteBuffer bodyWindow;          // a reusable view of body, to read into directly
    private int bodyFilled;
    private long completedBytes;            // bodies handed out as payloads, still accounted for
    private final ArrayPool arrays;
    private byte[][] completed = NO_ARRAYS; // those bodies, to give back to the pool when done
    private int completedCount;
    private static final byte[][] NO_ARRAYS = new byte[0][];

    public FrameDecoder(FrameFormat format) {
        this(format, Memory.UNLIMITED);
    }

    public FrameDecoder(FrameFormat format, Memory memory) {
        this(format, memory, ArrayPool.NONE);
    }

    /**
     * @param arrays where body arrays come from and go back to once their payloads are done
     *               ({@link #payloadsDone()}): a payload's array may be reused after that
     */
    public FrameDecoder(FrameFormat format, Memory memory, ArrayPool arrays) {
        this.format = format;
        this.memory = memory;
        this.arrays = arrays;
        this.header = new byte[format.headerLength()];
        this.headerWindow = ByteBuffer.wrap(header);
    }

    public FrameFormat format() {
        return format;
    }

    // tag::decode-next[]
    /**
     * Takes the next complete frame out of {@code src}, consuming its bytes.
     *
     * @return the payload, or {@code null} when {@code src} ran out inside a frame (its bytes are
     *         kept here, and the next call continues where this one stopped)
     * @throws FrameException if a length field breaks the format's rules
     */
    public ByteBuffer next(ByteBuffer src) throws FrameException {
        if (bodyLength < 0) {                                   // HEADER
            int n = Math.min(header.length - headerFilled, src.remaining());
            src.get(header, headerFilled, n);
            headerFilled += n;
            if (headerFilled < header.length) return null;      // the prefix itself was cut
            startBody();
        }
        if (body == null && src.remaining() >= bodyLength) {    // BODY, all here: a view, no copy
            ByteBuffer payload = src.slice(src.position(), bodyLength);
            src.position(src.position() + bodyLength);
            bodyLength = -1;
            return payload;
        }
        if (!src.hasRemaining()) return null;
        int n = Math.min(bodyLength - bodyFilled, src.remaining()); // BODY, cut: keep what came
        ensureBodyCapacity(bodyFilled + n, true);
        src.get(body, bodyFilled, n);
        bodyFilled += n;
        return bodyFilled == bodyLength ? completeBody() : null;
    }
    // end::decode-next[]

    /**
     * Where to read the next bytes of the current frame straight into: the rest of the length
     * field, or free room in the body being assembled (grown first if it is full).
     *
     * @param maxBytes most bytes to offer (bounds one read, whatever the body's size)
     * @return a buffer to read into, then report the count with {@link #filled(int)}; or
     *         {@code null} when the body must grow and {@link Memory} said no: wait, then ask again
     */
    public ByteBuffer window(int maxBytes) {
        if (bodyLength < 0) {
            return headerWindow.limit(header.length).position(headerFilled);
        }
        if (body == null || bodyFilled == body.length) {
            if (!ensureBodyCapacity(bodyFilled + 1, false)) return null;
        }
        int room = Math.min(Math.min(body.length, bodyLength) - bodyFilled, maxBytes);  // never past this frame
        return bodyWindow.limit(bodyFilled + room).position(bodyFilled);
    }

    /**
     * Reports that {@code count} bytes were read into the last {@link #window(int)}.
     *
     * @return the payload if that completed a frame, else {@code null}
     */
    // tag::decode-filled[]
    public ByteBuffer filled(int count) throws FrameException {
        if (bodyLength < 0) {
            headerFilled += count;
            if (headerFilled < header.length) return null;
            startBody();
            if (bodyLength > 0) return null;
            bodyLength = -1;
            return ByteBuffer.allocate(0);                       // a zero-length frame is complete at once
        }
        bodyFilled += count;
        return bodyFilled == bodyLength ? completeBody() : null;
    }

    private void startBody() throws FrameException {
        headerFilled = 0;                                        // before decoding: an error leaves a clean state
        bodyLength = format.decodeHeader(header);
        bodyFilled = 0;
    }
    // end::decode-filled[]

    private ByteBuffer completeBody() {
        // The payload keeps the array; this decoder lets go of it so the next frame starts small
        // again. Its accounting is kept until payloadsDone(): until the reply that echoes it is
        // written, the array is still on the heap, and a budget that forgot it could let the next
        // 16 MiB frame start growing while the last one is still being written.
        ByteBuffer payload = ByteBuffer.wrap(body, 0, bodyLength);
        completedBytes += body.length;
        if (arrays != ArrayPool.NONE && completedCount < 64) {  // kept to give back (else left to the GC)
            if (completedCount == completed.length) completed = java.util.Arrays.copyOf(completed, Math.max(4, 2 * completedCount));
            completed[completedCount++] = body;
        }
        body = null;
        bodyWindow = null;
        bodyLength = -1;
        bodyFilled = 0;
        return payload;
    }

    /** Grows the body buffer to hold at least {@code needed} bytes: first chunk, then doubling. */
    private boolean ensureBodyCapacity(int needed, boolean force) {
        int current = body == null ? 0 : body.length;
        if (needed <= current) return true;
        // Reading straight into the body starts at the first chunk; bytes copied in from a read
        // buffer (force) start at what arrived, rounded up: they are kept whatever the budget says.
        int first = force ? Math.max(MIN_BODY_CHUNK, Integer.highestOneBit(Math.max(1, needed - 1)) << 1) : FIRST_BODY_CHUNK;
        // Powers of two (at most twice the body), so that arrays can be pooled whatever the frame sizes.
        int limit = bodyLength > (1 << 30) ? bodyLength : bodyLength <= 1 ? 1 : Integer.highestOneBit(bodyLength - 1) << 1;
        int capacity = current == 0 ? Math.min(limit, first) : current;
        while (capacity < needed) {
            capacity = (int) Math.min(limit, 2L * capacity);
        }
        if (!memory.acquire(capacity - current, force)) return false;
        byte[] grown = arrays.take(capacity);
        if (bodyFilled > 0) System.arraycopy(body, 0, grown, 0, bodyFilled);
        if (body != null) arrays.give(body);
        body = grown;
        bodyWindow = ByteBuffer.wrap(body);
        return true;
    }

    /**
     * Whether {@code src} (not consumed) completes a frame, together with what is kept here; a
     * length field that breaks the rules also counts, since the next {@link #next} will report it.
     * Servers write the replies of a batch once this turns false.
     */
    public boolean hasCompleteFrame(ByteBuffer src) {
        int available = src.remaining();
        if (bodyLength >= 0) return bodyFilled + available >= bodyLength;
        int needHeader = header.length - headerFilled;
        if (available < needHeader) return false;
        byte[] peek = header.clone();
        src.get(src.position(), peek, headerFilled, needHeader);
        try {
            return available - needHeader >= format.decodeHeader(peek);
        } catch (FrameException e) {
            return true;
        }
    }

    /** Whether some bytes of a frame have arrived but not the whole frame. */
    public boolean inFrame() {
        return headerFilled > 0 || bodyLength >= 0;
    }

    /** Whether the length field is complete and body bytes are awaited. */
    public boolean inBody() {
        return bodyLength >= 0;
    }

    /** Body bytes still to come for the current frame; 0 while reading the header. */
    public int bodyRemaining() {
        return bodyLength < 0 ? 0 : bodyLength - bodyFilled;
    }

    /** Bytes held for a partly received frame (the allocated body buffer). */
    public int bufferedBytes() {
        return body == null ? 0 : body.length;
    }

    /** How far the current frame got, for error messages: {@code "body after 17 of 1024 bytes"}. */
    public String progress() {
        if (bodyLength >= 0) return "body after " + bodyFilled + " of " + bodyLength + " bytes";
        if (headerFilled > 0) return "header after " + headerFilled + " of " + header.length + " bytes";
        return "between frames";
    }

    /**
     * The stream ended. Fine between frames; otherwise the frame was cut short.
     *
     * @throws TruncatedFrameException {@code end of stream in body after 4 of 16777216 bytes}
     */
    public void endOfStream() throws TruncatedFrameException {
        if (inFrame()) throw new TruncatedFrameException(progress());
    }

    /**
     * The payloads returned so far are no longer used (their replies are written): gives back the
     * memory of those that were assembled here. Servers call it after each batch of replies.
     */
    public void payloadsDone() {
        for (int i = 0; i < completedCount; i++) {
            arrays.give(completed[i]);
            completed[i] = null;
        }
        completedCount = 0;
        if (completedBytes > 0) {
            long n = completedBytes;
            completedBytes = 0;
            memory.completed(n);
        }
    }

    /** Drops a partly received frame and gives its memory back (the connection is closing). */
    public void release() {
        payloadsDone();
        if (body != null) {
            memory.release(body.length);
            arrays.give(body);
        }
        body = null;
        bodyWindow = null;
        bodyLength = -1;
        bodyFilled = 0;
        headerFilled = 0;
    }
}
