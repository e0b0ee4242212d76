package loomframe.server;

import java.util.Locale;

/**
 * What a server does with each frame: the <em>blocking</em> form of a handler. One interface serves
 * every implementation, so a handler written once runs on all of them.
 *
 * <ul>
 *   <li>{@code blocking} and {@code platform} call it on the connection's own thread, which may
 *       block in it for as long as it likes (a virtual thread then parks and frees its carrier):
 *       a database call, {@code Thread.sleep}, a blocking client.</li>
 *   <li>{@code async} calls it on a completion thread of the channel group, where blocking stalls
 *       every connection of that thread; so either it must not block, or the server offloads it
 *       ({@link ServerConfig.Builder#handlerThreads(int)}), or it is written in the asynchronous
 *       form, {@link AsyncFrameHandler}.</li>
 * </ul>
 *
 * <p>A handler is called once per frame, in arrival order, one frame at a time per connection.
 * The payload is valid until the handler is done with the frame and its replies are written (see
 * {@link Payload}); pass it to {@link Replies#reply(Payload)} to echo it without a copy. An
 * exception (or {@link Error}) thrown here closes this connection only, counted as
 * {@code handler-error}.
 */
@FunctionalInterface
public interface FrameHandler {

    /**
     * Handles one frame.
     *
     * @param payload the frame's payload; zero-length frames are valid
     * @param replies where to send zero or more reply frames, in order
     */
    void handle(Payload payload, Replies replies) throws Exception;

    /**
     * The handler for one new connection. By default the same handler serves every connection;
     * a handler with state per connection (a backend connection, say) returns a new one here, and
     * is {@linkplain #close() closed} when that connection ends.
     */
    default FrameHandler open(HandlerContext connection) throws Exception {
        return this;
    }

    /**
     * The connection a handler returned by {@link #open} was made for has ended (never called on a
     * handler that {@code open} returned itself, which serves other connections).
     */
    default void close() {
    }

    /** Replies to each frame with an identical frame. */
    static FrameHandler echo() {
        return Builtin.ECHO;
    }

    /** Reads every frame and replies nothing. */
    static FrameHandler discard() {
        return Builtin.DISCARD;
    }

    /** The built-in handlers that need no settings, by their command-line names ({@code loomframe.handlers} has the others). */
    enum Builtin implements FrameHandler {
        ECHO {
            @Override
            public void handle(Payload payload, Replies replies) {
                replies.reply(payload);
            }
        },
        DISCARD {
            @Override
            public void handle(Payload payload, Replies replies) {
            }
        };

        /** {@code echo} or {@code discard}. */
        public String cliName() {
            return name().toLowerCase(Locale.ROOT);
        }

        @Override
        public String toString() {
            return cliName();
        }
    }
}
