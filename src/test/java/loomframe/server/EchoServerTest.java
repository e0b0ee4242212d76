package loomframe.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import loomframe.Loomframe;
import loomframe.TestWire;
import loomframe.frame.FrameFormat;
import loomframe.server.core.ChunkPool;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The protocol over real sockets, for every implementation: splits, pipelining, formats, concurrency. */
@Timeout(60)
class EchoServerTest {

    static Server start(Impl impl, FrameFormat format) throws Exception {
        return Loomframe.start(ServerConfig.builder().impl(impl).port(0).format(format).build());
    }

    static void assertEchoes(TestWire wire, List<byte[]> frames, String context) throws Exception {
        for (int i = 0; i < frames.size(); i++) {
            assertArrayEquals(frames.get(i), wire.readFrame(), "reply " + i + " of " + frames.size() + ", " + context);
        }
    }

    @ParameterizedTest
    @EnumSource(Impl.class)
    void echoesAFrameCutAtEveryPairOfPositions(Impl impl) throws Exception {
        List<byte[]> frames = List.of("0123456789".getBytes());
        byte[] wire = TestWire.encodeAll(FrameFormat.DEFAULT, frames);
        try (Server server = start(impl, FrameFormat.DEFAULT); var client = new TestWire(server.port(), FrameFormat.DEFAULT)) {
            for (int a = 1; a < wire.length; a++) {
                for (int b = a + 1; b < wire.length; b++) {
                    client.writeCut(wire, a, b);
                    assertEchoes(client, frames, "cuts " + a + "," + b);
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Impl.class)
    void echoesFramesSentOneByteAtATime(Impl impl) throws Exception {
        List<byte[]> frames = List.of("trickle".getBytes(), new byte[0], "x".getBytes());
        byte[] wire = TestWire.encodeAll(FrameFormat.DEFAULT, frames);
        int[] everyByte = new int[wire.length - 1];
        for (int i = 0; i < everyByte.length; i++) everyByte[i] = i + 1;
        try (Server server = start(impl, FrameFormat.DEFAULT); var client = new TestWire(server.port(), FrameFormat.DEFAULT)) {
            client.writeCut(wire, everyByte);
            assertEchoes(client, frames, "one byte at a time");
        }
    }

    @ParameterizedTest
    @EnumSource(Impl.class)
    void echoesSeveralFramesInOneWriteAndAFrameAcrossThreeWrites(Impl impl) throws Exception {
        var random = new Random(7);
        List<byte[]> many = new ArrayList<>();
        for (int i = 0; i < 50; i++) many.add(TestWire.randomBytes(random, i * 3));
        byte[] big = TestWire.randomBytes(random, 200_000);
        byte[] bigWire = FrameFormat.DEFAULT.encode(big);
        try (Server server = start(impl, FrameFormat.DEFAULT); var client = new TestWire(server.port(), FrameFormat.DEFAULT)) {
            client.write(TestWire.encodeAll(FrameFormat.DEFAULT, many));
            assertEchoes(client, many, "50 frames in one write");
            client.writeCut(bigWire, 2, 100_000);
            assertArrayEquals(big, client.readFrame());
            assertEquals(51, server.stats().frames(), "frames counted");
        }
    }

    @ParameterizedTest
    @EnumSource(Impl.class)
    void echoesExactlyOneCorrectReplyPerFrameHoweverTheStreamIsCut(Impl impl) throws Exception {
        long seed = System.nanoTime();
        var random = new Random(seed);
        for (int scenario = 0; scenario < 8; scenario++) {
            FrameFormat format = TestWire.randomFormat(random);
            try (Server server = start(impl, format)) {
                for (int round = 0; round < 40; round++) {         // 320 scenarios per implementation
                    List<byte[]> frames = TestWire.randomFrames(random, format, 5, 100_000, INTERESTING);
                    byte[] wire = TestWire.encodeAll(format, frames);
                    try (var client = new TestWire(server.port(), format)) {
                        client.writeCut(wire, TestWire.randomCuts(random, wire.length, 3));
                        assertEchoes(client, frames, "seed=" + seed + " scenario=" + scenario + " round=" + round + " " + format);
                        client.socket.shutdownOutput();
                        assertTrue(client.closedByServer(), "no extra reply, clean close");
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Impl.class)
    void speaksEveryFormat(Impl impl) throws Exception {
        for (int width : new int[] {1, 2, 4, 8}) {
            for (ByteOrder order : new ByteOrder[] {ByteOrder.BIG_ENDIAN, ByteOrder.LITTLE_ENDIAN}) {
                for (boolean includes : new boolean[] {false, true}) {
                    var format = new FrameFormat(width, order, includes, 200);
                    List<byte[]> frames = List.of(new byte[0], "a".getBytes(), new byte[(int) Math.min(200, format.largestEncodablePayload())]);
                    try (Server server = start(impl, format); var client = new TestWire(server.port(), format)) {
                        client.write(TestWire.encodeAll(format, frames));
                        assertEchoes(client, frames, format.toString());
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Impl.class)
    void interoperatesWithTheCSharpSampleFormat(Impl impl) throws Exception {
        byte[] message = "from a C# client".getBytes();
        byte[] wire = new byte[4 + message.length];
        wire[0] = (byte) message.length;                         // BitConverter.GetBytes(int): little-endian
        System.arraycopy(message, 0, wire, 4, message.length);
        try (Server server = start(impl, FrameFormat.CSHARP_SAMPLE); var client = new TestWire(server.port(), FrameFormat.CSHARP_SAMPLE)) {
            client.writeCut(wire, 2);                            // a first read shorter than the prefix
            byte[] header = client.in.readNBytes(4);
            assertArrayEquals(new byte[] {(byte) message.length, 0, 0, 0}, header);
            assertArrayEquals(message, client.in.readNBytes(message.length));
        }
    }

    @ParameterizedTest
    @EnumSource(Impl.class)
    void servesHundredsOfConnectionsPipeliningAtOnce(Impl impl) throws Exception {
        int connections = 300;
        try (Server server = start(impl, FrameFormat.DEFAULT);
             var clients = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Integer>> results = new ArrayList<>();
            for (int c = 0; c < connections; c++) {
                long seed = c;
                results.add(clients.submit((Callable<Integer>) () -> {
                    var random = new Random(seed);
                    List<byte[]> frames = new ArrayList<>();
                    for (int i = 0; i < 20; i++) frames.add(TestWire.randomBytes(random, random.nextInt(2000)));
                    try (var client = new TestWire(server.port(), FrameFormat.DEFAULT)) {
                        client.write(TestWire.encodeAll(FrameFormat.DEFAULT, frames));   // all before reading
                        assertEchoes(client, frames, "connection " + seed);
                    }
                    return frames.size();
                }));
            }
            int total = 0;
            for (var r : results) total += r.get();
            assertEquals(connections * 20, total);
            assertEquals(connections * 20L, server.stats().frames());
        }
    }

    @ParameterizedTest
    @EnumSource(Impl.class)
    void runsACustomHandlerThatRepliesWithSeveralFrames(Impl impl) throws Exception {
        FrameHandler twice = (payload, replies) -> {
            replies.reply(payload);
            replies.reply(new byte[] {(byte) payload.size()});
        };
        try (Server server = Loomframe.start(ServerConfig.builder().impl(impl).port(0).handler(twice).build());
             var client = new TestWire(server.port(), FrameFormat.DEFAULT)) {
            client.write(TestWire.encodeAll(FrameFormat.DEFAULT, List.of("ab".getBytes(), "cde".getBytes())));
            assertEchoes(client, List.of("ab".getBytes(), new byte[] {2}, "cde".getBytes(), new byte[] {3}), "two replies per frame");
        }
    }

    @ParameterizedTest
    @EnumSource(Impl.class)
    void discardsFramesWithoutReplying(Impl impl) throws Exception {
        try (Server server = Loomframe.start(ServerConfig.builder().impl(impl).port(0).handler(FrameHandler.discard()).build());
             var client = new TestWire(server.port(), FrameFormat.DEFAULT)) {
            client.write(TestWire.encodeAll(FrameFormat.DEFAULT, List.of("x".getBytes(), new byte[1000])));
            client.socket.shutdownOutput();
            assertTrue(client.closedByServer());
            assertEquals(2, server.stats().frames());
        }
    }

    /** Sizes that matter to the servers: a frame filling one chunk with its header, just over it, several chunks. */
    private static final int[] INTERESTING = {0, 1, 63, 64, 65, 255, ChunkPool.CHUNK_SIZE - 5, ChunkPool.CHUNK_SIZE - 4,
            ChunkPool.CHUNK_SIZE - 3, ChunkPool.CHUNK_SIZE, ChunkPool.CHUNK_SIZE + 1, 2 * ChunkPool.CHUNK_SIZE, 65_536 + 5};
}
