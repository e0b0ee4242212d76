package loomframe.server;

import java.nio.ByteBuffer;

/**
 * Where a {@link FrameHandler} sends reply frames. The server adds the length field and writes the
 * replies of a whole batch of frames together, so several replies cost one write. Replies go out
 * in the order they are given, and a connection's replies never reorder.
 *
 * <p>Not thread-safe. A blocking handler calls it from the thread that called the handler; an
 * {@link AsyncFrameHandler} may call it from any thread, but only before completing its stage for
 * the frame.
 */
public interface Replies {

    /**
     * Sends {@code payload} (position to limit) as one frame. The buffer is not copied: do not
     * change it afterwards. Its bytes are consumed as they are written, not when this returns.
     *
     * @throws IllegalArgumentException if the payload exceeds the format's maximum frame
     */
    void reply(ByteBuffer payload);

    /** Sends a received payload (or any {@link Payload}) as one frame, without copying it: an echo. */
    void reply(Payload payload);

    /** Sends {@code payload} as one frame. */
    default void reply(byte[] payload) {
        reply(ByteBuffer.wrap(payload));
    }
}
