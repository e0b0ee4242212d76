package loomframe.handlers;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import loomframe.server.AsyncFrameHandler;
import loomframe.server.FrameHandler;
import loomframe.server.HandlerContext;
import loomframe.server.Payload;
import loomframe.server.Replies;

/**
 * {@code --handler delay:D}: echoes each frame D after it arrived — a stand-in for a call to a
 * backend that takes D. It shows the two ways of waiting at their simplest:
 * <ul>
 *   <li><b>blocking</b>: {@code Thread.sleep(D)}, then reply. On a virtual thread the sleep parks
 *       it, and its carrier serves other connections meanwhile;</li>
 *   <li><b>asynchronous</b>: schedule the reply on the server's timer and return at once; the
 *       stage completes when the timer has replied.</li>
 * </ul>
 * Frames of one connection wait in turn (the next is handed over once this one is answered), so
 * replies never reorder; different connections wait at the same time.
 */
public final class DelayHandler implements AsyncFrameHandler {
    private final Duration delay;
    private final ScheduledExecutorService timer;        // null on the shared instance, which is only opened

    public DelayHandler(Duration delay) {
        this(delay, null);
    }

    private DelayHandler(Duration delay, ScheduledExecutorService timer) {
        if (delay.isNegative()) throw new IllegalArgumentException("delay must not be negative, got " + delay);
        this.delay = delay;
        this.timer = timer;
    }

    /** Each connection gets one bound to its server's timer. */
    @Override
    public FrameHandler open(HandlerContext connection) {
        return new DelayHandler(delay, connection.scheduler());
    }

    // tag::delay-blocking[]
    @Override
    public void handle(Payload payload, Replies replies) throws InterruptedException {
        Thread.sleep(delay);                             // parks a virtual thread; its carrier runs others
        replies.reply(payload);
    }
    // end::delay-blocking[]

    // tag::delay-async[]
    @Override
    public CompletionStage<?> handleAsync(Payload payload, Replies replies) {
        if (timer == null) {                             // not opened by a server: the JDK's shared delayed executor
            return CompletableFuture.runAsync(() -> replies.reply(payload), CompletableFuture.delayedExecutor(delay.toNanos(), TimeUnit.NANOSECONDS));
        }
        var replied = new CompletableFuture<Void>();
        timer.schedule(() -> {                           // runs on the timer's thread, D from now
            replies.reply(payload);
            replied.complete(null);
        }, delay.toNanos(), TimeUnit.NANOSECONDS);
        return replied;                                  // and the connection waits for this
    }
    // end::delay-async[]

    @Override
    public String toString() {
        long ms = delay.toMillis();
        return "delay:" + (ms % 1000 == 0 && ms > 0 ? ms / 1000 + "s" : ms + "ms");
    }
}
