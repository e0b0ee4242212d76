package loomframe.server;

import java.nio.ByteBuffer;
import java.nio.charset.Charset;

/**
 * One frame's payload, as a {@link FrameHandler} receives it: read-only views of the server's read
 * buffers, in one part or several. Nothing is copied to build it; a frame of 16 MiB arrives as the
 * pooled chunks it was read into (so it never needs one 16 MiB array), and
 * {@link Replies#reply(Payload)} echoes it with one gathering write, still without a copy.
 *
 * <p><b>Valid until the handler is done with the frame</b>: the {@link FrameHandler#handle} call has
 * returned (or an {@link AsyncFrameHandler}'s stage has completed) and the replies it queued are
 * written. After that the server reuses the memory for other frames, of this connection or another.
 * To keep the bytes longer, copy them ({@link #toArray()}).
 *
 * <p>Not meant to be extended by programs; a server may, to remember where a payload arrived
 * (so that an echo can write the bytes as they came).
 */
public class Payload {
    private static final Payload EMPTY = new Payload(new ByteBuffer[0], 0);

    private final ByteBuffer[] parts;     // read-only, each position..limit; null when there is one part ...
    private final ByteBuffer only;        // ... and it is this: most frames, and no array for them
    private final int size;

    private Payload(ByteBuffer[] parts, int size) {
        this.parts = parts;
        this.only = null;
        this.size = size;
    }

    /** For servers: a payload in one read-only part, position to limit, handed over as it is. */
    protected Payload(ByteBuffer readOnlyPart) {
        this.parts = null;
        this.only = readOnlyPart;
        this.size = readOnlyPart.remaining();
    }

    /** For servers: a payload in several read-only parts (the array becomes the payload's). */
    protected Payload(ByteBuffer[] readOnlyParts) {
        this(readOnlyParts, total(readOnlyParts));
    }

    private static int total(ByteBuffer[] parts) {
        long n = 0;
        for (ByteBuffer p : parts) n += p.remaining();
        if (n > Integer.MAX_VALUE) throw new IllegalArgumentException("payload of " + n + " bytes is over 2 GiB");
        return (int) n;
    }

    /**
     * A payload of the given parts, in order, each from its position to its limit. The bytes are
     * not copied, and the array and its buffers become the payload's: do not change them afterwards.
     * Parts that are not read-only are replaced by read-only views, so a handler cannot write into
     * a server's buffers through a payload.
     */
    public static Payload of(ByteBuffer... parts) {
        long size = 0;
        for (int i = 0; i < parts.length; i++) {
            if (!parts[i].isReadOnly()) parts[i] = parts[i].asReadOnlyBuffer();
            size += parts[i].remaining();
        }
        if (size > Integer.MAX_VALUE) throw new IllegalArgumentException("payload of " + size + " bytes is over 2 GiB");
        return size == 0 ? EMPTY : new Payload(parts, (int) size);
    }

    /** A payload that owns {@code bytes} (not copied: do not change them afterwards). */
    public static Payload of(byte[] bytes) {
        return bytes.length == 0 ? EMPTY : new Payload(new ByteBuffer[] {ByteBuffer.wrap(bytes).asReadOnlyBuffer()}, bytes.length);
    }

    /** The zero-length payload. */
    public static Payload empty() {
        return EMPTY;
    }

    /** Payload bytes. */
    public int size() {
        return size;
    }

    /** How many parts the payload is in (0 for a zero-length payload). */
    public int partCount() {
        return only != null ? 1 : parts.length;
    }

    /** Part {@code i}: a fresh read-only view (its own position and limit), position to limit = that part's bytes. */
    public ByteBuffer part(int i) {
        return partView(i).duplicate();
    }

    private ByteBuffer partView(int i) {
        if (only != null) {
            if (i != 0) throw new IndexOutOfBoundsException("part " + i + " of a payload in 1 part");
            return only;
        }
        return parts[i];
    }

    /**
     * The payload as one read-only buffer: a view when it is in one part, else a heap copy. Handy
     * for small frames; for large ones prefer the parts.
     */
    public ByteBuffer asByteBuffer() {
        if (partCount() == 1) return partView(0).duplicate();
        return ByteBuffer.wrap(toArray()).asReadOnlyBuffer();
    }

    /** A copy of the payload's bytes. */
    public byte[] toArray() {
        byte[] copy = new byte[size];
        int at = 0;
        for (int i = 0, n = partCount(); i < n; i++) {
            ByteBuffer p = partView(i);
            int k = p.remaining();
            p.get(p.position(), copy, at, k);
            at += k;
        }
        return copy;
    }

    /** The payload decoded as text. */
    public String toString(Charset charset) {
        return new String(toArray(), charset);
    }

    @Override
    public String toString() {
        int n = partCount();
        return "Payload[" + size + " bytes in " + n + " part" + (n == 1 ? "" : "s") + "]";
    }
}
