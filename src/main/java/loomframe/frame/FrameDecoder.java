package loomframe.frame;

import java.nio.ByteBuffer;

/**
 * Finds the frames in a byte stream cut anywhere: the one place that walks the wire format byte by
 * byte. The servers ({@code loomframe.server.core.FrameFlow}), {@code FrameClient} and
 * {@code LoadGenerator} all decode with it.
 *
 * <p>An explicit two-state machine, like tokio-util's {@code DecodeState { Head, Data(n) }}:
 * <pre>
 *   HEADER(filled of width) --length field complete--&gt; BODY(received of length) --all received--&gt; HEADER(0)
 *                 \--length 0: the frame is complete at once, BODY(0 of 0)--/
 * </pre>
 *
 * <p>It keeps no payload bytes. The caller keeps them wherever it read them — a server in its pooled
 * chunks, a client in its own buffer — and tells the decoder how many body bytes arrived; the
 * decoder says when the frame is complete. What it keeps is the length field while it is
 * incomplete (so a length field cut by a read boundary costs nothing) and two counters. That is
 * why memory can follow bytes received rather than bytes announced: nothing here allocates by
 * what a length field says.
 *
 * <pre>{@code
 * // bytes in buf, cut anywhere:
 * while (buf.hasRemaining()) {
 *     if (decoder.state() == State.HEADER) {
 *         decoder.takeHeader(buf);                     // throws FrameException for a bad length
 *     } else {
 *         int n = Math.min(buf.remaining(), decoder.bodyNeeded());
 *         ... n body bytes at buf.position() ...
 *         buf.position(buf.position() + n);
 *         if (decoder.takeBody(n)) ... frame complete ...
 *     }
 * }
 * }</pre>
 * Zero-length frames: {@link #takeHeader} returns true with {@link #bodyNeeded()} 0, and
 * {@code takeBody(0)} completes the frame.
 *
 * <p>Not thread-safe: one decoder per connection, used by one thread at a time.
 */
public final class FrameDecoder {

    /** Where in a frame the decoder is. */
    public enum State {
        /** Reading the length field ({@link #headerFilled()} of {@link FrameFormat#headerLength()} bytes). */
        HEADER,
        /** Reading the payload ({@link #bodyReceived()} of {@link #bodyLength()} bytes). */
        BODY
    }

    private final FrameFormat format;
    private final byte[] field;             // the length field, decoded once complete
    private final ByteBuffer window;        // where a caller may read the field's bytes straight in

    private State state = State.HEADER;
    private int headerFilled;
    private int bodyLength;
    private int bodyReceived;

    public FrameDecoder(FrameFormat format) {
        this(format, null);
    }

    /**
     * @param headerWindow a buffer of at least {@link FrameFormat#headerLength()} bytes to read the
     *                     length field into ({@link #headerWindow()}); a server passes a direct one, so
     *                     that even the read a connection parks on between frames is not copied by the
     *                     JDK through a temporary buffer. {@code null}: a heap buffer of its own.
     */
    public FrameDecoder(FrameFormat format, ByteBuffer headerWindow) {
        this.format = format;
        this.field = new byte[format.headerLength()];
        this.window = headerWindow != null ? headerWindow : ByteBuffer.allocate(format.headerLength());
        if (window.capacity() < field.length) {
            throw new IllegalArgumentException("header window of " + window.capacity() + " bytes is below the "
                    + field.length + "-byte length field");
        }
    }

    public FrameFormat format() {
        return format;
    }

    public State state() {
        return state;
    }

    // --- HEADER --------------------------------------------------------------------------------

    // tag::decoder-take-header[]
    /**
     * Takes length-field bytes out of {@code src}: never more than the field still needs.
     *
     * @return true once the field is complete: the state is then BODY, with {@link #bodyLength()} known
     * @throws FrameException if the completed field breaks the format's rules; the decoder is then
     *         back at an empty HEADER, but the connection should be closed
     */
    public boolean takeHeader(ByteBuffer src) throws FrameException {
        requireState(State.HEADER);
        int n = Math.min(field.length - headerFilled, src.remaining());
        src.get(field, headerFilled, n);
        headerFilled += n;
        return headerFilled == field.length && startBody();
    }
    // end::decoder-take-header[]

    /**
     * The rest of the length field, to read straight into (position at the first missing byte,
     * limit at the field's end); report the count with {@link #headerRead(int)}.
     */
    public ByteBuffer headerWindow() {
        requireState(State.HEADER);
        return window.limit(field.length).position(headerFilled);
    }

    /**
     * Reports that {@code n} bytes were read into {@link #headerWindow()}.
     *
     * @return true once the field is complete (state BODY)
     */
    public boolean headerRead(int n) throws FrameException {
        requireState(State.HEADER);
        if (n < 0 || headerFilled + n > field.length) {
            throw new IllegalArgumentException(n + " bytes read into a length field with " + (field.length - headerFilled) + " missing");
        }
        window.get(headerFilled, field, headerFilled, n);
        headerFilled += n;
        return headerFilled == field.length && startBody();
    }

    private boolean startBody() throws FrameException {
        headerFilled = 0;                          // before decoding: an error leaves a clean state
        bodyLength = format.decodeHeader(field);
        bodyReceived = 0;
        state = State.BODY;
        return true;
    }

    /** Length-field bytes received so far for the frame in progress (HEADER). */
    public int headerFilled() {
        return headerFilled;
    }

    // --- BODY ----------------------------------------------------------------------------------

    /** The payload length the current frame announced (BODY). */
    public int bodyLength() {
        requireState(State.BODY);
        return bodyLength;
    }

    /** Payload bytes received so far (BODY). */
    public int bodyReceived() {
        requireState(State.BODY);
        return bodyReceived;
    }

    /** Payload bytes still to come (BODY); 0 for a zero-length frame. */
    public int bodyNeeded() {
        requireState(State.BODY);
        return bodyLength - bodyReceived;
    }

    // tag::decoder-take-body[]
    /**
     * Reports that {@code n} more payload bytes arrived (the caller keeps them).
     *
     * @return true when that completed the frame: the state is HEADER again
     */
    public boolean takeBody(int n) {
        requireState(State.BODY);
        if (n < 0 || n > bodyLength - bodyReceived) {
            throw new IllegalArgumentException(n + " body bytes reported with " + (bodyLength - bodyReceived) + " to come");
        }
        bodyReceived += n;
        if (bodyReceived < bodyLength) return false;
        state = State.HEADER;
        return true;
    }
    // end::decoder-take-body[]

    // --- either state --------------------------------------------------------------------------

    /** Whether some bytes of a frame have arrived but not the whole frame. */
    public boolean inFrame() {
        return state == State.BODY || headerFilled > 0;
    }

    /** How far the current frame got, for messages: {@code "body after 17 of 1024 bytes"}. */
    public String progress() {
        if (state == State.BODY) return "body after " + bodyReceived + " of " + bodyLength + " bytes";
        if (headerFilled > 0) return "header after " + headerFilled + " of " + field.length + " bytes";
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

    /** Forgets the frame in progress. */
    public void reset() {
        state = State.HEADER;
        headerFilled = 0;
        bodyLength = 0;
        bodyReceived = 0;
    }

    private void requireState(State expected) {
        if (state != expected) throw new IllegalStateException("decoder is in " + state + ", not " + expected);
    }
}
