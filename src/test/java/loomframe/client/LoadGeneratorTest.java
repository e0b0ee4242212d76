package loomframe.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import loomframe.Loomframe;
import loomframe.frame.FrameFormat;
import loomframe.server.Impl;
import loomframe.server.Server;
import loomframe.server.ServerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

@Timeout(60)
class LoadGeneratorTest {

    private static LoadGenerator.Options options(int port, int connections, int size, int pipeline, double rate) {
        return new LoadGenerator.Options("127.0.0.1", port, FrameFormat.DEFAULT, connections, size, pipeline,
                Duration.ofMillis(700), Duration.ofMillis(200), rate, 1, Duration.ofSeconds(5));
    }

    @ParameterizedTest
    @EnumSource(Impl.class)
    void verifiesEveryEchoFromEachServer(Impl impl) throws Exception {
        try (Server server = Loomframe.start(ServerConfig.builder().impl(impl).port(0).build())) {
            LoadResult r = LoadGenerator.run(options(server.port(), 3, 100, 4, 0), null);
            assertTrue(r.ok(), r.errorMessages().toString());
            assertTrue(r.frames() > 0);
            assertEquals(r.frames(), r.latencyNanos().getTotalCount());
            assertEquals(r.frames() * 100, r.payloadBytes());
        }
    }

    @ParameterizedTest(name = "size {0}, pipeline {1}")
    @CsvSource({"0, 3", "1, 1", "7, 2", "200000, 3"})  // no room for a sequence number; frames bigger than the client's buffers
    void handlesTinyAndLargeFrames(int size, int pipeline) throws Exception {
        try (Server server = Loomframe.start(ServerConfig.builder().impl(Impl.ASYNC).port(0).build())) {
            LoadResult r = LoadGenerator.run(options(server.port(), 2, size, pipeline, 0), null);
            assertTrue(r.ok(), r.errorMessages().toString());
            assertTrue(r.frames() > 0);
        }
    }

    @Test
    void openLoopSendsAtTheAskedRateAndChargesFromDueTime() throws Exception {
        try (Server server = Loomframe.start(ServerConfig.builder().port(0).build())) {
            var o = new LoadGenerator.Options("127.0.0.1", server.port(), FrameFormat.DEFAULT, 2, 32, 1,
                    Duration.ofSeconds(1), Duration.ofMillis(200), 500, 1, Duration.ofSeconds(5));
            LoadResult r = LoadGenerator.run(o, null);
            assertTrue(r.ok(), r.errorMessages().toString());
            // 500 frames/s for 1 s: about 500 frames; loose bounds, the machine is shared
            assertTrue(r.frames() > 200 && r.frames() < 800, "frames " + r.frames());
            assertTrue(o.latencyModel().startsWith("open loop"));
        }
    }

    @Test
    void reportsACorruptedEcho() throws Exception {
        try (var server = StandInServer.flippingEcho(FrameFormat.DEFAULT)) {
            LoadResult r = LoadGenerator.run(options(server.port(), 2, 64, 2, 0), null);
            assertFalse(r.ok());
            assertEquals(2, r.corrupted());
            assertTrue(r.errorMessages().get(0).contains("differs at byte 63 of 64"), r.errorMessages().toString());
        }
    }

    @Test
    void reportsLostFramesWhenTheServerCloses() throws Exception {
        try (var server = StandInServer.closesWithoutReply(FrameFormat.DEFAULT)) {
            LoadResult r = LoadGenerator.run(options(server.port(), 1, 64, 4, 0), null);
            assertFalse(r.ok());
            assertEquals(1, r.failedConnections());
            assertTrue(r.lost() >= 1, "lost " + r.lost());
        }
    }

    @Test
    void refusedConnectionIsAnIOException() throws Exception {
        int port;
        try (var s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        var e = assertThrows(IOException.class, () -> LoadGenerator.run(options(port, 1, 8, 1, 0), null));
        assertTrue(e.getMessage().startsWith("cannot connect to 127.0.0.1:" + port), e.getMessage());
    }
}
