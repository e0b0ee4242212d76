package loomframe.server.core;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import loomframe.Loomframe;
import loomframe.Poll;
import loomframe.TestWire;
import loomframe.frame.FrameFormat;
import loomframe.server.CloseReason;
import loomframe.server.FrameHandler;
import loomframe.server.Impl;
import loomframe.server.Server;
import loomframe.server.ServerConfig;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/** One connection's failure — its handler's, its own, or one thrown into a server-wide duty — affects that connection only. */
@Timeout(60)
class FaultInjectionTest {
    private static final FrameFormat FORMAT = FrameFormat.DEFAULT;

    /** Echoes, except a payload naming a failure, which it throws. */
    private static final FrameHandler FAULTY = (payload, replies) -> {
        String text = payload.toString(US_ASCII);
        switch (text) {
            case "runtime" -> throw new IllegalStateException("injected");
            case "stack" -> recurse(0);
            case "memory" -> throw new OutOfMemoryError("injected");
            default -> replies.reply(payload);
        }
    };

    private static int recurse(int n) {
        return recurse(n + 1) + 1;                                // a real StackOverflowError
    }

    @ParameterizedTest(name = "{0} handler throws {1}")
    @CsvSource({"BLOCKING,runtime", "BLOCKING,stack", "BLOCKING,memory", "ASYNC,runtime", "ASYNC,stack", "ASYNC,memory",
                "PLATFORM,runtime", "PLATFORM,stack", "PLATFORM,memory"})
    void aFailingHandlerClosesItsConnectionOnly(Impl impl, String failure) throws Exception {
        Server server = Loomframe.start(ServerConfig.builder().impl(impl).port(0).handler(FAULTY).build());
        try (var good = new TestWire(server.port(), FORMAT); var bad = new TestWire(server.port(), FORMAT)) {
            echo(good, "before");
            bad.write(FORMAT.encode(failure.getBytes(US_ASCII)));
            assertTrue(bad.closedByServer(), "the connection whose handler failed is closed");
            Poll.until(() -> "counted as handler-error: " + server.stats(), () -> server.stats().closed(CloseReason.HANDLER_ERROR) == 1);
            echo(good, "after");                                  // the other connection never noticed
            try (var again = new TestWire(server.port(), FORMAT)) {
                echo(again, "and new connections are served");
            }
        } finally {
            assertShutsDown(server);
        }
    }

    /** A connection that throws whenever another thread tries to end it: from the idle sweep, and from shutdown. */
    private static final class Unwakeable extends ServedConnection {
        Unwakeable(ServerCore server) {
            super(server, new InetSocketAddress("127.0.0.1", 9));
        }

        @Override
        protected void wake(CloseReason why) {
            throw new IllegalStateException("injected: cannot be woken (" + why + ")");
        }
    }

    @ParameterizedTest
    @EnumSource(Impl.class)
    void aConnectionThatThrowsInTheSweepAndInShutdownStopsNeither(Impl impl) throws Exception {
        Server server = Loomframe.start(ServerConfig.builder().impl(impl).port(0)
                .idleTimeout(Duration.ofMillis(300)).shutdownTimeout(Duration.ofMillis(300)).build());
        var core = (ServerCore) server;
        core.register(new Unwakeable(core));                       // expires with the others, and throws every sweep
        try {
            for (int round = 0; round < 3; round++) {              // sweeps keep running after the first throw
                try (var idle = new TestWire(server.port(), FORMAT)) {
                    echo(idle, "then silence");
                    assertTrue(idle.closedByServer(), "round " + round + ": still closed at its idle deadline");
                }
            }
        } finally {
            assertShutsDown(server);                               // abort() throws for it too: shutdown still ends
        }
    }

    private static void assertShutsDown(Server server) throws Exception {
        var closing = CompletableFuture.runAsync(server::close);
        closing.get(20, TimeUnit.SECONDS);
        assertTrue(CompletableFuture.runAsync(() -> {
            try {
                server.awaitTermination();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }).get(5, TimeUnit.SECONDS) == null, "awaitTermination() returns");
        assertEquals(Server.State.TERMINATED, server.state());
    }

    private static void echo(TestWire w, String text) throws Exception {
        w.write(FORMAT.encode(text.getBytes(US_ASCII)));
        assertArrayEquals(text.getBytes(US_ASCII), w.readFrame());
    }

}
