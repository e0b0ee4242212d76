package loomframe.handlers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import loomframe.Loomframe;
import loomframe.Poll;
import loomframe.TestWire;
import loomframe.frame.FrameFormat;
import loomframe.server.CloseReason;
import loomframe.server.Impl;
import loomframe.server.Server;
import loomframe.server.ServerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/** delay:D and forward:HOST:PORT on every implementation, and the async server's offloaded blocking form. */
@Timeout(120)
class WaitingHandlersTest {
    private static final FrameFormat FORMAT = FrameFormat.DEFAULT;

    /** Every way a server can run a waiting handler: blocking, platform, async (asynchronous form), async offloaded. */
    static Stream<Arguments> ways() {
        return Stream.of(Arguments.of(Impl.BLOCKING, 0), Arguments.of(Impl.PLATFORM, 0), Arguments.of(Impl.ASYNC, 0),
                Arguments.of(Impl.ASYNC, 4));
    }

    private static Server start(Impl impl, int handlerThreads, String handler, Duration idle) throws IOException {
        return Loomframe.start(ServerConfig.builder().impl(impl).port(0).handlerThreads(handlerThreads)
                .handler(Handlers.parse(handler, FORMAT)).idleTimeout(idle).build());
    }

    private static List<byte[]> frames(long seed, int count, int maxSize) {
        var random = new Random(seed);
        List<byte[]> frames = new ArrayList<>();
        for (int i = 0; i < count; i++) frames.add(TestWire.randomBytes(random, random.nextInt(maxSize + 1)));
        return frames;
    }

    private static void assertEchoedInOrder(TestWire w, List<byte[]> frames) throws IOException {
        for (int i = 0; i < frames.size(); i++) assertArrayEquals(frames.get(i), w.readFrame(), "reply " + i + " in request order");
    }

    @ParameterizedTest(name = "{0}, handler threads {1}")
    @MethodSource("ways")
    void delayKeepsPipelinedRepliesInOrder(Impl impl, int handlerThreads) throws Exception {
        try (Server server = start(impl, handlerThreads, "delay:5ms", Duration.ofSeconds(60));
             var w = new TestWire(server.port(), FORMAT)) {
            List<byte[]> frames = frames(1, 40, 3000);
            long start = System.nanoTime();
            w.write(TestWire.encodeAll(FORMAT, frames));           // all before reading any reply
            assertEchoedInOrder(w, frames);
            assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(5), "each reply waited its delay");
        }
    }

    /** 1,000 connections waiting at once: they wait together, so all are answered in about one delay, not a thousand. */
    @ParameterizedTest
    @EnumSource(Impl.class)
    void aThousandConnectionsWaitingAtOnceFinishInAboutOneDelay(Impl impl) throws Exception {
        int connections = 1000;
        Duration delay = Duration.ofMillis(500);
        try (Server server = start(impl, 0, "delay:500ms", Duration.ofSeconds(60))) {
            List<TestWire> wires = new ArrayList<>();
            try {
                for (int i = 0; i < connections; i++) wires.add(new TestWire(server.port(), FORMAT));
                byte[] frame = FORMAT.encode("wait for me".getBytes());
                long start = System.nanoTime();
                for (TestWire w : wires) w.write(frame);
                for (TestWire w : wires) assertArrayEquals("wait for me".getBytes(), w.readFrame());
                long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                // In turn they would take 1,000 x 500 ms; at the same time, one delay plus the time to serve them.
                assertTrue(tookMs < 10 * delay.toMillis(), impl + ": 1,000 waits of 500 ms took " + tookMs + " ms");
                assertEquals(connections, server.stats().frames());
            } finally {
                for (TestWire w : wires) w.close();
            }
        }
    }

    /** The offloaded blocking form waits on the pool's threads: at most N at a time — the pitfall the async form avoids. */
    @Test
    void anOffloadedBlockingHandlerWaitsAtMostPoolSizeAtATime() throws Exception {
        int connections = 32, threads = 4;
        try (Server server = start(Impl.ASYNC, threads, "delay:100ms", Duration.ofSeconds(60))) {
            List<TestWire> wires = new ArrayList<>();
            try {
                for (int i = 0; i < connections; i++) wires.add(new TestWire(server.port(), FORMAT));
                long start = System.nanoTime();
                for (TestWire w : wires) w.write(FORMAT.encode(new byte[] {1}));
                for (TestWire w : wires) assertArrayEquals(new byte[] {1}, w.readFrame());
                long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                assertTrue(tookMs >= (connections / threads) * 100L - 50, "32 sleeps of 100 ms on 4 threads took only " + tookMs + " ms");
            } finally {
                for (TestWire w : wires) w.close();
            }
        }
    }

    @ParameterizedTest(name = "{0}, handler threads {1}")
    @MethodSource("ways")
    void forwardRelaysEachFrameToTheBackendInOrderUpTo4MiB(Impl impl, int handlerThreads) throws Exception {
        try (Server backend = Loomframe.start(ServerConfig.builder().impl(Impl.ASYNC).port(0).build());
             Server server = start(impl, handlerThreads, "forward:127.0.0.1:" + backend.port(), Duration.ofSeconds(60));
             var w = new TestWire(server.port(), FORMAT)) {
            List<byte[]> frames = frames(2, 30, 70_000);
            frames.add(0, new byte[0]);
            frames.add(TestWire.randomBytes(new Random(3), 4 * 1024 * 1024));
            w.write(TestWire.encodeAll(FORMAT, frames));
            assertEchoedInOrder(w, frames);
            assertEquals(frames.size(), backend.stats().frames(), "every frame went through the backend");
        }
    }

    @ParameterizedTest(name = "{0}, handler threads {1}")
    @MethodSource("ways")
    void forwardClosesTheClientWhenTheBackendDiesAndServesAgainOnceItIsBack(Impl impl, int handlerThreads) throws Exception {
        int backendPort;
        try (var probe = new ServerSocket(0)) {
            backendPort = probe.getLocalPort();
        }
        try (Server server = start(impl, handlerThreads, "forward:127.0.0.1:" + backendPort, Duration.ofSeconds(60))) {
            try (var w = new TestWire(server.port(), FORMAT)) {       // no backend yet
                w.write(FORMAT.encode("anyone?".getBytes()));
                assertTrue(w.closedByServer(), "closed when the backend cannot be reached");
            }
            Poll.until(() -> "counted as backend: " + server.stats(), () -> server.stats().closed(CloseReason.BACKEND) == 1);
            try (Server backend = Loomframe.start(ServerConfig.builder().port(backendPort).build());
                 var w = new TestWire(server.port(), FORMAT)) {
                w.write(FORMAT.encode("back".getBytes()));
                assertArrayEquals("back".getBytes(), w.readFrame(), "served again once the backend is back");
                backend.close();                                     // the backend goes away mid-conversation
                w.write(FORMAT.encode("still there?".getBytes()));
                assertTrue(w.closedByServer());
            }
            Poll.until(() -> "second backend close: " + server.stats(), () -> server.stats().closed(CloseReason.BACKEND) == 2);
            try (var w = new TestWire(server.port(), FORMAT)) {
                assertTrue(w.socket.isConnected(), "the server itself kept serving");
            }
        }
    }

    @ParameterizedTest(name = "{0}, handler threads {1}")
    @MethodSource("ways")
    void forwardClosesTheClientWhenTheBackendStallsPastTheIdleTimeout(Impl impl, int handlerThreads) throws Exception {
        try (var silent = new ServerSocket(0)) {                   // accepts, reads, never answers
            var accepted = new ArrayList<Socket>();
            Thread.ofVirtual().start(() -> {
                try {
                    while (true) accepted.add(silent.accept());
                } catch (IOException e) {
                    // closed at the end of the test
                }
            });
            try (Server server = start(impl, handlerThreads, "forward:127.0.0.1:" + silent.getLocalPort(), Duration.ofMillis(500));
                 var w = new TestWire(server.port(), FORMAT)) {
                w.write(FORMAT.encode("hello?".getBytes()));
                assertTrue(w.closedByServer(), "closed once the backend stalled past --idle-timeout");
                Poll.until(() -> "counted as backend: " + server.stats(), () -> server.stats().closed(CloseReason.BACKEND) == 1);
            }
        }
    }

    @Test
    void namesWhatItExpectsForABadHandler() {
        var e = assertThrows(IllegalArgumentException.class, () -> Handlers.parse("delay:fast", FORMAT));
        assertEquals("delay:D needs a duration such as 1ms or 10ms, got 'delay:fast'", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Handlers.parse("forward:nowhere", FORMAT));
        assertEquals("forward:HOST:PORT needs a backend address such as 127.0.0.1:7000, got 'forward:nowhere'", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Handlers.parse("shout", FORMAT));
        assertEquals("expected echo, discard, delay:D or forward:HOST:PORT, got 'shout'", e.getMessage());
        assertEquals("forward:[::1]:7000", Handlers.parse("forward:[::1]:7000", FORMAT).toString());
        assertEquals("delay:10ms", Handlers.parse("delay:10ms", FORMAT).toString());
        assertEquals("delay:2s", Handlers.parse("delay:2s", FORMAT).toString());
    }

    /**
     * The blocking delay leaves its virtual thread as a backend call would: with no park permit, so
     * the connection's next blocking read really parks instead of waking at once for nothing (which
     * {@code Thread.sleep} on a virtual thread causes; see {@code DelayHandler#sleep}).
     */
    @Test
    void blockingDelayLeavesNoParkPermitBehind() throws Exception {
        var handler = new DelayHandler(Duration.ofMillis(1));
        var replied = new java.util.concurrent.atomic.AtomicInteger();
        loomframe.server.Replies replies = new loomframe.server.Replies() {
            @Override public void reply(java.nio.ByteBuffer payload) { replied.incrementAndGet(); }
            @Override public void reply(loomframe.server.Payload payload) { replied.incrementAndGet(); }
        };
        var parkedAfterHandler = new java.util.concurrent.atomic.AtomicBoolean();
        Thread connection = Thread.ofVirtual().unstarted(() -> {
            try {
                handler.handle(loomframe.server.Payload.of(new byte[] {1}), replies);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
            java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(30));  // stands for the next read
        });
        connection.start();
        // The handler's own wait is TIMED_WAITING too: wait for its reply, then for the park after it.
        Poll.until("the handler replied", () -> replied.get() == 1);
        Poll.until("the thread parks after the handler (a permit would let it run straight through)", () -> {
            if (connection.getState() == Thread.State.TIMED_WAITING) parkedAfterHandler.set(true);
            return parkedAfterHandler.get() || !connection.isAlive();
        });
        java.util.concurrent.locks.LockSupport.unpark(connection);
        connection.join(TimeUnit.SECONDS.toMillis(10));
        assertTrue(parkedAfterHandler.get(), "the thread found a park permit after the handler and did not wait");
    }
}
