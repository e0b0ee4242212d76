package loomframe.server;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * What a server does with each frame. One interface serves every implementation (blocking,
 * async, platform), so a handler written once runs on all of them.
 *
 * <p>A handler is called once per frame, in arrival order, on whatever thread serves the
 * connection; it must not block for long (in the async server it runs on a completion thread).
 * The payload is read-only for the handler: it may be a view of the server's read buffer, valid
 * until the replies of the current batch are written. Pass it straight to {@link Replies#reply}
 * to echo without a copy; copy it to keep it longer.
 */
@FunctionalInterface
public interface FrameHandler {

    /**
     * Handles one frame.
     *
     * @param payload the frame's payload, position to limit; zero-length frames are valid
     * @param replies where to send zero or more reply frames, in order
     */
    void handle(ByteBuffer payload, Replies replies) throws IOException;

    /** Replies to each frame with an identical frame. */
    static FrameHandler echo() {
        return Builtin.ECHO;
    }

    /** Reads every frame and replies nothing. */
    static FrameHandler discard() {
        return Builtin.DISCARD;
    }

    /** The built-in handlers, by their command-line names. */
    enum Builtin implements FrameHandler {
        ECHO {
            @Override
            public void handle(ByteBuffer payload, Replies replies) {
                replies.reply(payload);
            }
        },
        DISCARD {
            @Override
            public void handle(ByteBuffer payload, Replies replies) {
            }
        };

        /** {@code echo} or {@code discard}. */
        public String cliName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }
}
