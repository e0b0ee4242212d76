package loomframe.server.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.List;
import loomframe.Loomframe;
import loomframe.Poll;
import loomframe.TestSeeds;
import loomframe.TestWire;
import loomframe.frame.FrameFormat;
import loomframe.server.Impl;
import loomframe.server.Server;
import loomframe.server.ServerConfig;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Thousands of random connections (valid frames cut anywhere, random bytes, random length fields,
 * resets and half-closes) against each server; afterwards it still echoes, and connections,
 * threads, the budget, the chunk pool and the header slots are all back where they started.
 * {@code scripts/fuzz.sh} runs the same fuzzer for a million inputs.
 */
@Timeout(120)
class ServerFuzzTest {
    private static final int INPUTS = 1500;

    @ParameterizedTest
    @EnumSource(Impl.class)
    void survivesRandomConnectionsAndReturnsToIdle(Impl impl) throws Exception {
        long seed = TestSeeds.seed("survivesRandomConnectionsAndReturnsToIdle " + impl);
        try (Server server = Loomframe.start(ServerConfig.builder().impl(impl).port(0).idleTimeout(Duration.ofSeconds(2)).build())) {
            var core = (ServerCore) server;
            long threadsBefore = serverThreads();
            List<String> failures = new ServerFuzzer("127.0.0.1", server.port(), FrameFormat.DEFAULT).run(seed, INPUTS, 100);
            assertEquals(List.of(), failures, "seed=" + seed);

            Poll.until(() -> "every connection ended: " + server.stats(), () -> server.stats().openConnections() == 0 && core.registeredConnections() == 0);
            Poll.until(() -> "the budget is back to 0: " + server.stats(), () -> server.stats().bufferedBytes() == 0);
            assertEquals(0, core.pool().chunksInUse(), "every chunk back in the pool");
            assertEquals(0, core.pool().headerSlotsInUse(), "every header slot back");
            Poll.until(() -> "the server's threads back to idle: " + serverThreads() + " now, " + threadsBefore + " before", () -> serverThreads() == threadsBefore);
            try (var w = new TestWire(server.port(), FrameFormat.DEFAULT)) {
                w.write(FrameFormat.DEFAULT.encode("still serving".getBytes()));
                assertArrayEquals("still serving".getBytes(), w.readFrame());
            }
        }
    }

    /** The server's own platform threads (accept, sweeper, group, per connection for platform), by name. */
    private static long serverThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("loomframe-")).count();
    }

}
