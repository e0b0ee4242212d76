package loomframe.handlers;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import loomframe.server.AsyncFrameHandler;
import loomframe.server.FrameHandler;
import loomframe.server.HandlerContext;
import loomframe.server.Payload;
import loomframe.server.Replies;

/**
 * {@code --handler delay:D}: echoes each frame D after it arrived — a stand-in for a call to a
 * backend that takes D. It shows the two ways of waiting at their simplest:
 * <ul>
 *   <li><b>blocking</b>: park for D (as {@code Thread.sleep(D)} does, without the park permit it
 *       leaves behind: see {@link #sleep}), then reply. On a virtual thread the park unmounts it,
 *       and its carrier serves other connections meanwhile;</li>
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
        sleep(delay.toNanos());                          // parks a virtual thread; its carrier runs others
        replies.reply(payload);
    }
    // end::delay-blocking[]

    /**
     * {@link Thread#sleep} without its aftertaste. On a virtual thread, {@code Thread.sleep} leaves
     * the thread's park permit set when it returns (the JDK says so in {@code VirtualThread.sleepNanos}:
     * "a spurious, but benign, wakeup"). Benign, but not free in a server: the connection's next
     * read, which finds no bytes yet, parks — and wakes at once for nothing, so the JDK takes the
     * socket out of its poller, reads again in vain and puts it back: three {@code epoll_ctl} and
     * a {@code read} more per frame (jmh/profile-syscalls.sh). Parking for the time leaves no permit.
     */
    // tag::delay-sleep[]
    private static void sleep(long nanos) throws InterruptedException {
        long until = System.nanoTime() + nanos;
        for (long left = nanos; left > 0; left = until - System.nanoTime()) {
            LockSupport.parkNanos(left);
            if (Thread.interrupted()) throw new InterruptedException("interrupted while waiting out the delay");
        }
    }
    // end::delay-sleep[]

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
