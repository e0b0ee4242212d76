package loomframe.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import loomframe.Loomframe;
import loomframe.Poll;
import loomframe.TestWire;
import loomframe.frame.FrameFormat;
import loomframe.server.core.ChunkPool;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Each kind of bad input closes only the offending connection, is counted, and leaves the server serving. */
@Timeout(60)
class BadInputTest {

    private static Server start(Impl impl, FrameFormat format) throws Exception {
        return Loomframe.start(ServerConfig.builder().impl(impl).port(0).format(format).build());
    }

    /** Sends {@code bad} on one connection; checks it is closed, counted, and a good client is still served. */
    private static void assertRefused(Server server, FrameFormat format, byte[] bad, boolean closeOutput, CloseReason reason) throws Exception {
        long errorsBefore = server.stats().errors();
        try (var attacker = new TestWire(server.port(), format)) {
            attacker.write(bad);
            if (closeOutput) attacker.socket.shutdownOutput();
            assertTrue(attacker.closedByServer(), "the offending connection is closed");
        }
        Poll.until(() -> "closed as " + reason + ": " + server.stats(), () -> server.stats().closed(reason) >= 1);
        assertEquals(errorsBefore + 1, server.stats().errors(), "the error counter rose");
        try (var good = new TestWire(server.port(), format)) {
            good.write(format.encode("still here".getBytes()));
            assertArrayEquals("still here".getBytes(), good.readFrame());
        }
    }

    @ParameterizedTest
    @EnumSource(Impl.class)
    void refusesLengthAboveMaxFrame(Impl impl) throws Exception {
        FrameFormat format = FrameFormat.DEFAULT.withMaxFrame(1000);
        try (Server server = start(impl, format)) {
            assertRefused(server, format, new byte[] {0, 0, 0x03, (byte) 0xE9}, false, CloseReason.TOO_LARGE);
        }
    }

    @ParameterizedTest
    @EnumSource(Impl.class)
    void refusesTheCSharpMinusOneInsteadOfReadingFourGigabytes(Impl impl) throws Exception {
        try (Server server = start(impl, FrameFormat.CSHARP_SAMPLE)) {
            assertRefused(server, FrameFormat.CSHARP_SAMPLE, new byte[] {-1, -1, -1, -1, 1, 2, 3}, false, CloseReason.TOO_LARGE);
            Poll.until(() -> "nothing held for the refused frame: " + server.stats(), () -> server.stats().bufferedBytes() == 0);
        }
    }

    @ParameterizedTest
    @EnumSource(Impl.class)
    void refusesALengthBelowTheHeaderItIncludes(Impl impl) throws Exception {
        FrameFormat format = FrameFormat.DEFAULT.withLengthIncludesHeader(true);
        try (Server server = start(impl, format)) {
            assertRefused(server, format, new byte[] {0, 0, 0, 2}, false, CloseReason.BELOW_HEADER);
        }
    }

    @ParameterizedTest
    @EnumSource(Impl.class)
    void closesOnEndOfStreamInsideAHeader(Impl impl) throws Exception {
        try (Server server = start(impl, FrameFormat.DEFAULT)) {
            assertRefused(server, FrameFormat.DEFAULT, new byte[] {0, 0}, true, CloseReason.TRUNCATED);
        }
    }

    @ParameterizedTest
    @EnumSource(Impl.class)
    void closesOnEndOfStreamInsideABody(Impl impl) throws Exception {
        try (Server server = start(impl, FrameFormat.DEFAULT)) {
            assertRefused(server, FrameFormat.DEFAULT, new byte[] {0, 0, 1, 0, 1, 2, 3}, true, CloseReason.TRUNCATED);
        }
    }

    @ParameterizedTest
    @EnumSource(Impl.class)
    void survivesAConnectionResetMidFrame(Impl impl) throws Exception {
        try (Server server = start(impl, FrameFormat.DEFAULT)) {
            try (var attacker = new TestWire(server.port(), FrameFormat.DEFAULT)) {
                attacker.write(new byte[] {0, 0, 1, 0, 1, 2, 3});
                attacker.socket.setSoLinger(true, 0);              // close sends RST
            }
            Poll.until(() -> "reset counted: " + server.stats(), () -> server.stats().errors() == 1);
            try (var good = new TestWire(server.port(), FrameFormat.DEFAULT)) {
                good.write(FrameFormat.DEFAULT.encode(new byte[] {9}));
                assertArrayEquals(new byte[] {9}, good.readFrame());
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Impl.class)
    void sendsRepliesOwedForEarlierFramesBeforeClosingOnAnError(Impl impl) throws Exception {
        FrameFormat format = FrameFormat.DEFAULT.withMaxFrame(100);
        List<byte[]> good = List.of("one".getBytes(), "two".getBytes());
        var wire = new ArrayList<byte[]>();
        wire.add(TestWire.encodeAll(format, good));
        wire.add(new byte[] {0, 0, 0, (byte) 101});               // then a bad header, in the same write
        try (Server server = start(impl, format); var client = new TestWire(server.port(), format)) {
            client.write(TestWire.concat(wire));
            assertArrayEquals(good.get(0), client.readFrame());
            assertArrayEquals(good.get(1), client.readFrame());
            assertTrue(client.closedByServer());
        }
    }

    @ParameterizedTest
    @EnumSource(Impl.class)
    void treatsACleanCloseBetweenFramesAsNoError(Impl impl) throws Exception {
        try (Server server = start(impl, FrameFormat.CSHARP_SAMPLE)) {
            try (var csharpClient = new TestWire(server.port(), FrameFormat.CSHARP_SAMPLE)) {
                csharpClient.write(FrameFormat.CSHARP_SAMPLE.encode("one message, then close".getBytes()));
                csharpClient.socket.shutdownOutput();
                csharpClient.readFrame();
                assertTrue(csharpClient.closedByServer());
            }
            Poll.until(() -> server.stats().toString(), () -> server.stats().closed(CloseReason.EOF) == 1);
            assertEquals(0, server.stats().errors());
        }
    }

    @ParameterizedTest
    @EnumSource(Impl.class)
    void holdsKilobytesForAFrameThatAnnouncesTheMaximumAndSendsAFewBytes(Impl impl) throws Exception {
        int connections = 50;
        try (Server server = start(impl, FrameFormat.DEFAULT)) {
            var attackers = new ArrayList<TestWire>();
            try {
                for (int i = 0; i < connections; i++) {
                    var a = new TestWire(server.port(), FrameFormat.DEFAULT);
                    a.write(new byte[] {1, 0, 0, 0, 1, 2, 3, 4});     // announces 16 MiB, sends 4 bytes
                    attackers.add(a);
                }
                // Each holds the chunk its 4 bytes were read into, and at most one more for the next read.
                Poll.until(() -> "each holds a chunk: " + server.stats(), () -> server.stats().bufferedBytes() >= (long) connections * ChunkPool.CHUNK_SIZE);
                assertTrue(server.stats().bufferedBytes() <= 2L * connections * ChunkPool.CHUNK_SIZE,
                        "kilobytes per connection, not 16 MiB: " + server.stats());
                try (var good = new TestWire(server.port(), FrameFormat.DEFAULT)) {
                    good.write(FrameFormat.DEFAULT.encode(new byte[] {7}));
                    assertArrayEquals(new byte[] {7}, good.readFrame());
                }
            } finally {
                for (var a : attackers) a.close();
            }
            Poll.until(() -> "memory given back: " + server.stats(), () -> server.stats().bufferedBytes() == 0);
        }
    }

}
