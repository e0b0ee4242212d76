package loomframe.docs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.channels.AsynchronousServerSocketChannel;
import java.util.List;
import java.util.Random;
import loomframe.TestSeeds;
import loomframe.TestWire;
import loomframe.docs.minimal.MinimalCompletionHandlerServer;
import loomframe.docs.minimal.MinimalVirtualThreadServer;
import loomframe.frame.FrameFormat;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The two minimal servers of docs/COMPARISON.md pass the same every-split tests as loomframe's own. */
@Timeout(60)
class MinimalPairTest {
    private static final FrameFormat FORMAT = FrameFormat.DEFAULT;

    /** Starts one of the two on a free port; returns the port. */
    private static int start(String style) throws Exception {
        if (style.equals("virtual-threads")) {
            var listener = new ServerSocket(0);
            Thread.ofPlatform().daemon().start(() -> {
                try {
                    MinimalVirtualThreadServer.serve(listener);
                } catch (Exception e) {
                    // the test is over
                }
            });
            return listener.getLocalPort();
        }
        var listener = AsynchronousServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
        MinimalCompletionHandlerServer.serve(listener);
        return ((InetSocketAddress) listener.getLocalAddress()).getPort();
    }

    @ParameterizedTest
    @ValueSource(strings = {"virtual-threads", "completion-handlers"})
    void echoesAStreamCutAtEveryPairOfPositions(String style) throws Exception {
        int port = start(style);
        List<byte[]> frames = List.of("hello, world".getBytes(), new byte[0], "!".getBytes());
        byte[] wire = TestWire.encodeAll(FORMAT, frames);
        for (int a = 1; a < wire.length; a++) {
            for (int b = a; b < wire.length; b += 3) {
                try (var w = new TestWire(port, FORMAT)) {
                    w.writeCut(wire, a, b);
                    for (byte[] f : frames) assertArrayEquals(f, w.readFrame(), style + " cuts " + a + "," + b);
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"virtual-threads", "completion-handlers"})
    void echoesPipelinedFramesCutAtRandomOneByteAtATimeIncluded(String style) throws Exception {
        int port = start(style);
        long seed = TestSeeds.seed("minimal pair " + style);
        var random = new Random(seed);
        for (int round = 0; round < 20; round++) {
            List<byte[]> frames = TestWire.randomFrames(random, FORMAT, 10, 100_000, 0, 1, 4096);
            byte[] wire = TestWire.encodeAll(FORMAT, frames);
            try (var w = new TestWire(port, FORMAT)) {
                w.writeCut(wire, TestWire.randomCuts(random, wire.length, 15));
                for (byte[] f : frames) assertArrayEquals(f, w.readFrame(), "seed=" + seed + " round=" + round);
            }
        }
        try (var w = new TestWire(port, FORMAT)) {
            byte[] one = FORMAT.encode("byte by byte".getBytes());
            int[] every = new int[one.length - 1];
            for (int i = 0; i < every.length; i++) every[i] = i + 1;
            w.writeCut(one, every);
            assertArrayEquals("byte by byte".getBytes(), w.readFrame());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"virtual-threads", "completion-handlers"})
    void refusesALengthAboveTheMaximum(String style) throws Exception {
        int port = start(style);
        try (var w = new TestWire(port, FORMAT)) {
            w.write(new byte[] {-1, -1, -1, -1});
            assertTrue(w.closedByServer());
        }
    }
}
