package loomframe.frame;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import loomframe.TestSeeds;
import loomframe.TestWire;
import org.junit.jupiter.api.Test;

class FrameDecoderTest {

    /**
     * Decodes {@code wire} delivered in the given pieces, keeping body bytes the way a caller does,
     * and alternating both ways of feeding the length field (from the piece, or read into the
     * decoder's window) when {@code mode} is given.
     */
    static List<byte[]> decodeInPieces(FrameFormat format, byte[] wire, int[] cuts, Random mode) throws FrameException {
        var decoder = new FrameDecoder(format);
        List<byte[]> out = new ArrayList<>();
        var body = new ByteArrayOutputStream();
        int from = 0;
        for (int i = 0; i <= cuts.length; i++) {
            int to = i < cuts.length ? cuts[i] : wire.length;
            ByteBuffer piece = ByteBuffer.wrap(wire, from, to - from);
            while (piece.hasRemaining()) {
                if (decoder.state() == FrameDecoder.State.HEADER) {
                    boolean complete;
                    if (mode != null && mode.nextBoolean()) {        // read straight into the length field
                        ByteBuffer window = decoder.headerWindow();
                        int n = Math.min(window.remaining(), piece.remaining());
                        window.put(piece.slice(piece.position(), n));
                        piece.position(piece.position() + n);
                        complete = decoder.headerRead(n);
                    } else {
                        complete = decoder.takeHeader(piece);
                    }
                    if (complete) body.reset();
                    if (complete && decoder.bodyNeeded() == 0 && decoder.takeBody(0)) out.add(new byte[0]);
                    continue;
                }
                int n = Math.min(piece.remaining(), decoder.bodyNeeded());
                body.write(wire, piece.position(), n);
                piece.position(piece.position() + n);
                if (decoder.takeBody(n)) out.add(body.toByteArray());
            }
            from = to;
        }
        assertFalse(decoder.inFrame(), "the stream ended on a frame boundary");
        return out;
    }

    static void assertFramesEqual(List<byte[]> expected, List<byte[]> actual, String context) {
        assertEquals(expected.size(), actual.size(), "frame count, " + context);
        for (int i = 0; i < expected.size(); i++) assertArrayEquals(expected.get(i), actual.get(i), "frame " + i + ", " + context);
    }

    /** Sizes that matter to a length field: tiny, and around a 1-byte length's limit. */
    private static final int[] INTERESTING = {0, 1, 2, 7, 8, 9, 63, 64, 65, 254, 255, 256, 4095, 4096, 4097};

    @Test
    void decodesTheSameFramesHoweverTheStreamIsCut() throws FrameException {
        long seed = TestSeeds.seed("decodesTheSameFramesHoweverTheStreamIsCut");
        var random = new Random(seed);
        for (int round = 0; round < 2000; round++) {
            FrameFormat format = TestWire.randomFormat(random);
            List<byte[]> frames = TestWire.randomFrames(random, format, 6, 70_000, INTERESTING);
            byte[] wire = TestWire.encodeAll(format, frames);
            int[] cuts = TestWire.randomCuts(random, wire.length, 12);
            assertFramesEqual(frames, decodeInPieces(format, wire, cuts, random),
                    "seed=" + seed + " round=" + round + " format=" + format);
        }
    }

    @Test
    void decodesAFrameCutAtEveryPairOfPositions() throws FrameException {
        FrameFormat format = FrameFormat.DEFAULT;
        List<byte[]> frames = List.of("hello, world".getBytes(), new byte[0], "!".getBytes());
        byte[] wire = TestWire.encodeAll(format, frames);
        for (int a = 1; a < wire.length; a++) {
            for (int b = a; b < wire.length; b++) {
                assertFramesEqual(frames, decodeInPieces(format, wire, new int[] {a, b}, null), "cuts " + a + "," + b);
                assertFramesEqual(frames, decodeInPieces(format, wire, new int[] {a, b}, new Random(a * 31L + b)), "window cuts " + a + "," + b);
            }
        }
    }

    @Test
    void decodesOneByteAtATime() throws FrameException {
        FrameFormat format = FrameFormat.CSHARP_SAMPLE;
        List<byte[]> frames = List.of("one".getBytes(), new byte[300], new byte[0]);
        byte[] wire = TestWire.encodeAll(format, frames);
        int[] everyByte = new int[wire.length - 1];
        for (int i = 0; i < everyByte.length; i++) everyByte[i] = i + 1;
        assertFramesEqual(frames, decodeInPieces(format, wire, everyByte, null), "byte at a time");
    }

    @Test
    void takesNoMoreThanTheLengthFieldFromABuffer() throws FrameException {
        var decoder = new FrameDecoder(FrameFormat.DEFAULT);
        ByteBuffer src = ByteBuffer.wrap(FrameFormat.DEFAULT.encode("abc".getBytes()));
        assertTrue(decoder.takeHeader(src));
        assertEquals(4, src.position(), "the payload is left in the caller's buffer, where it arrived");
        assertEquals(3, decoder.bodyLength());
        assertEquals(FrameDecoder.State.BODY, decoder.state());
    }

    @Test
    void completesAZeroLengthFrameAtOnce() throws FrameException {
        var decoder = new FrameDecoder(FrameFormat.DEFAULT);
        assertTrue(decoder.takeHeader(ByteBuffer.wrap(new byte[] {0, 0, 0, 0})));
        assertEquals(0, decoder.bodyNeeded());
        assertTrue(decoder.takeBody(0));
        assertFalse(decoder.inFrame());
    }

    @Test
    void keepsOnlyCountersForAFrameThatAnnouncesTheMaximum() throws FrameException {
        var decoder = new FrameDecoder(FrameFormat.DEFAULT);
        decoder.takeHeader(ByteBuffer.wrap(new byte[] {1, 0, 0, 0}));        // announces 16 MiB
        decoder.takeBody(4);                                                 // 4 bytes arrive
        assertEquals("body after 4 of 16777216 bytes", decoder.progress());
        assertEquals(16 * 1024 * 1024 - 4, decoder.bodyNeeded());
    }

    @Test
    void refusesToCountMoreBodyBytesThanTheFrameHas() throws FrameException {
        var decoder = new FrameDecoder(FrameFormat.DEFAULT);
        decoder.takeHeader(ByteBuffer.wrap(new byte[] {0, 0, 0, 2}));
        assertThrows(IllegalArgumentException.class, () -> decoder.takeBody(3));
    }

    @Test
    void readsTheLengthFieldThroughAGivenDirectWindow() throws FrameException {
        ByteBuffer direct = ByteBuffer.allocateDirect(8);
        var decoder = new FrameDecoder(FrameFormat.DEFAULT, direct);
        ByteBuffer window = decoder.headerWindow();
        assertTrue(window.isDirect());
        window.put(new byte[] {0, 0});
        assertFalse(decoder.headerRead(2));
        window = decoder.headerWindow();
        assertEquals(2, window.position(), "the window continues where the field stopped");
        window.put(new byte[] {1, 0});
        assertTrue(decoder.headerRead(2));
        assertEquals(256, decoder.bodyLength());
    }

    @Test
    void reportsEndOfStreamInsideAHeaderWithItsProgress() throws FrameException {
        var decoder = new FrameDecoder(FrameFormat.DEFAULT);
        decoder.takeHeader(ByteBuffer.wrap(new byte[] {0, 0}));
        var e = assertThrows(TruncatedFrameException.class, decoder::endOfStream);
        assertEquals("end of stream in header after 2 of 4 bytes", e.getMessage());
    }

    @Test
    void reportsEndOfStreamInsideABodyWithItsProgress() throws FrameException {
        var decoder = new FrameDecoder(FrameFormat.DEFAULT);
        decoder.takeHeader(ByteBuffer.wrap(new byte[] {1, 0, 0, 0}));
        decoder.takeBody(4);
        var e = assertThrows(TruncatedFrameException.class, decoder::endOfStream);
        assertEquals("end of stream in body after 4 of 16777216 bytes", e.getMessage());
    }

    @Test
    void acceptsEndOfStreamBetweenFrames() throws FrameException {
        var decoder = new FrameDecoder(FrameFormat.DEFAULT);
        decoder.takeHeader(ByteBuffer.wrap(new byte[] {0, 0, 0, 3}));
        decoder.takeBody(3);
        decoder.endOfStream();
    }

    @Test
    void leavesACleanStateAfterABadLength() {
        var decoder = new FrameDecoder(FrameFormat.DEFAULT.withMaxFrame(10));
        assertThrows(FrameTooLargeException.class, () -> decoder.takeHeader(ByteBuffer.wrap(new byte[] {0, 0, 0, 11})));
        assertFalse(decoder.inFrame());
        assertEquals(FrameDecoder.State.HEADER, decoder.state());
    }
}
