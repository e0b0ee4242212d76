package loomframe.server;

import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;

/**
 * The <em>asynchronous</em> form of a {@link FrameHandler}: it starts work for a frame (a call to a
 * backend, a timer) and returns at once with a stage that completes when the frame's replies have
 * been given to {@link Replies}. The async server then serves other connections on the same thread
 * meanwhile; the next frame of this connection is handed over only once the stage completes, so
 * replies stay in request order.
 *
 * <p>The blocking servers can run it too: {@link #handle} waits for the stage, which on a virtual
 * thread parks it. So a handler written in this form runs on every implementation.
 *
 * <pre>{@code
 * AsyncFrameHandler later = (payload, replies) -> CompletableFuture.runAsync(
 *         () -> replies.reply(payload), CompletableFuture.delayedExecutor(10, MILLISECONDS));
 * }</pre>
 *
 * <p>The payload stays valid until the stage completes. A stage that completes exceptionally (or
 * an exception thrown here) closes this connection only, counted as {@code handler-error}.
 */
@FunctionalInterface
public interface AsyncFrameHandler extends FrameHandler {

    /**
     * Starts handling one frame.
     *
     * @return completes once every reply for this frame has been given to {@code replies}; it
     *         may already be complete
     */
    CompletionStage<?> handleAsync(Payload payload, Replies replies);

    /** The blocking form: starts {@link #handleAsync} and waits for it. */
    @Override
    default void handle(Payload payload, Replies replies) throws Exception {
        try {
            handleAsync(payload, replies).toCompletableFuture().get();
        } catch (ExecutionException | CompletionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        } catch (CancellationException e) {
            throw new IllegalStateException("the handler's stage was cancelled", e);
        }
    }
}
