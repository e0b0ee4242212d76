package loomframe.server;

import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import loomframe.TestWire;
import loomframe.frame.FrameFormat;

/**
 * A well-behaved client on its own thread: sends a frame, waits for its echo, checks it byte for
 * byte, again and again until stopped. Any mismatch or error is kept for the test to report.
 */
final class GoodClient implements AutoCloseable {
    final AtomicLong echoed = new AtomicLong();
    final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final Thread thread;
    private volatile boolean stop;

    GoodClient(int port, int maxPayload) {
        thread = Thread.ofPlatform().daemon().name("good-client").start(() -> {
            var random = new Random(port);
            try (TestWire wire = new TestWire(port, FrameFormat.DEFAULT)) {
                while (!stop) {
                    byte[] payload = TestWire.randomBytes(random, random.nextInt(maxPayload + 1));
                    wire.write(FrameFormat.DEFAULT.encode(payload));
                    byte[] reply = wire.readFrame();
                    if (!Arrays.equals(payload, reply)) {
                        throw new AssertionError("echo of " + payload.length + " bytes came back different ("
                                + reply.length + " bytes)");
                    }
                    echoed.incrementAndGet();
                }
            } catch (Throwable e) {
                if (!stop) failure.set(e);
            }
        });
    }

    /** Waits until {@code n} more echoes arrived after this call; false if the client failed or 20 s passed. */
    boolean echoesMore(long n) throws InterruptedException {
        long target = echoed.get() + n;
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (echoed.get() < target) {
            if (failure.get() != null || System.nanoTime() - deadline > 0) return false;
            Thread.sleep(5);
        }
        return true;
    }

    /** Stops the client; throws what went wrong, if anything did. */
    @Override
    public void close() throws Exception {
        stop = true;
        thread.join(15_000);
        Throwable e = failure.get();
        if (e instanceof Exception ex) throw ex;
        if (e instanceof Error er) throw er;
    }


}
