package loomframe.frame;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import loomframe.TestWire;
import org.junit.jupiter.api.Test;

class FrameDecoderTest {

    /** Feeds {@code wire} to a decoder in the given pieces, alternating both ways of reading. */
    static List<byte[]> decodeInChunks(FrameFormat format, byte[] wire, int[] cuts, Random mode) throws FrameException {
        var decoder = new FrameDecoder(format);
        List<byte[]> out = new ArrayList<>();
        int from = 0;
        for (int i = 0; i <= cuts.length; i++) {
            int to = i < cuts.length ? cuts[i] : wire.length;
            ByteBuffer piece = ByteBuffer.wrap(wire, from, to - from);
            while (piece.hasRemaining()) {
                if (mode != null && mode.nextBoolean()) {         // read straight into the decoder
                    ByteBuffer window = decoder.window(1 + mode.nextInt(64));
                    int n = Math.min(window.remaining(), piece.remaining());
                    window.put(piece.slice(piece.position(), n));
                    piece.position(piece.position() + n);
                    ByteBuffer payload = decoder.filled(n);
                    if (payload != null) out.add(bytes(payload));
                } else {                                          // from a buffer read elsewhere
                    ByteBuffer payload = decoder.next(piece);
                    if (payload != null) out.add(bytes(payload));
                }
            }
            from = to;
        }
        assertFalse(decoder.inFrame(), "the stream ended on a frame boundary");
        return out;
    }

    static byte[] bytes(ByteBuffer b) {
        byte[] a = new byte[b.remaining()];
        b.duplicate().get(a);
        return a;
    }

    static void assertFramesEqual(List<byte[]> expected, List<byte[]> actual, String context) {
        assertEquals(expected.size(), actual.size(), "frame count, " + context);
        for (int i = 0; i < expected.size(); i++) assertArrayEquals(expected.get(i), actual.get(i), "frame " + i + ", " + context);
    }

    /** Sizes that matter to the decoder: tiny, around a 1-byte length's limit and the first body chunk. */
    private static final int[] INTERESTING = {0, 1, 2, 7, 8, 9, 63, 64, 65, 254, 255, 256,
            FrameDecoder.FIRST_BODY_CHUNK - 1, FrameDecoder.FIRST_BODY_CHUNK, FrameDecoder.FIRST_BODY_CHUNK + 1};

    @Test
    void decodesTheSameFramesHoweverTheStreamIsCut() throws FrameException {
        long seed = System.nanoTime();
        var random = new Random(seed);
        for (int round = 0; round < 2000; round++) {
            FrameFormat format = TestWire.randomFormat(random);
            List<byte[]> frames = TestWire.randomFrames(random, format, 6, 70_000, INTERESTING);
            byte[] wire = TestWire.encodeAll(format, frames);
            int[] cuts = TestWire.randomCuts(random, wire.length, 12);
            assertFramesEqual(frames, decodeInChunks(format, wire, cuts, random),
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
                assertFramesEqual(frames, decodeInChunks(format, wire, new int[] {a, b}, null), "cuts " + a + "," + b);
                assertFramesEqual(frames, decodeInChunks(format, wire, new int[] {a, b}, new Random(a * 31L + b)), "window cuts " + a + "," + b);
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
        assertFramesEqual(frames, decodeInChunks(format, wire, everyByte, null), "byte at a time");
    }

    @Test
    void returnsFramesThatArrivedWholeAsViewsWithoutCopying() throws FrameException {
        byte[] wire = FrameFormat.DEFAULT.encode("abc".getBytes());
        ByteBuffer src = ByteBuffer.wrap(wire);
        ByteBuffer payload = new FrameDecoder(FrameFormat.DEFAULT).next(src);
        assertTrue(payload.hasArray() && payload.array() == wire, "a view of the read buffer");
    }

    @Test
    void holdsKilobytesNotTheAnnouncedLength() throws FrameException {
        var held = new long[1];
        var memory = new FrameDecoder.Memory() {
            @Override public boolean acquire(long bytes, boolean force) { held[0] += bytes; return true; }
            @Override public void release(long bytes) { held[0] -= bytes; }
        };
        var decoder = new FrameDecoder(FrameFormat.DEFAULT, memory);
        ByteBuffer src = ByteBuffer.wrap(new byte[] {1, 0, 0, 0, 42, 42, 42, 42});   // announces 16 MiB, sends 4
        assertNull(decoder.next(src));
        assertEquals(1024, decoder.bufferedBytes(), "what arrived, rounded up to 1 KiB");
        assertTrue(held[0] <= 16 * 1024, "held " + held[0]);
        assertEquals("body after 4 of 16777216 bytes", decoder.progress());
        decoder.release();
        assertEquals(0, held[0]);
    }

    @Test
    void growsTheBodyWithTheBytesThatArrive() throws FrameException {
        var decoder = new FrameDecoder(FrameFormat.DEFAULT);
        decoder.next(ByteBuffer.wrap(new byte[] {0, 0, 1, 0}));               // 65536 announced
        int received = 0;
        while (received < 40_000) {
            ByteBuffer window = decoder.window(10_000);
            int n = window.remaining();
            window.position(window.limit());
            decoder.filled(n);
            received += n;
            assertTrue(decoder.bufferedBytes() <= Math.max(FrameDecoder.FIRST_BODY_CHUNK, 2 * received),
                    decoder.bufferedBytes() + " held for " + received + " received");
        }
    }

    @Test
    void reusesBodyArraysOnceTheirPayloadsAreDone() throws FrameException {
        var pool = new ArrayPool(1 << 20, 1 << 22);
        var decoder = new FrameDecoder(FrameFormat.DEFAULT, FrameDecoder.Memory.UNLIMITED, pool);
        var random = new Random(3);
        byte[] first = TestWire.randomBytes(random, 65_536), second = TestWire.randomBytes(random, 40_000);
        ByteBuffer a = assembleInPieces(decoder, first);
        assertArrayEquals(first, bytes(a));
        decoder.payloadsDone();                                   // replies written: the array may be reused
        ByteBuffer b = assembleInPieces(decoder, second);
        assertTrue(a.array() == b.array(), "the 64 KiB array came back from the pool");
        assertArrayEquals(second, bytes(b), "only the bytes of this frame are visible");
    }

    private static ByteBuffer assembleInPieces(FrameDecoder decoder, byte[] payload) throws FrameException {
        ByteBuffer wire = ByteBuffer.wrap(FrameFormat.DEFAULT.encode(payload));
        ByteBuffer result = null;
        while (wire.hasRemaining()) {
            ByteBuffer piece = wire.slice(wire.position(), Math.min(5000, wire.remaining()));
            wire.position(wire.position() + piece.remaining());
            while (piece.hasRemaining()) {
                ByteBuffer p = decoder.next(piece);
                if (p != null) result = p;
            }
        }
        return result;
    }

    @Test
    void waitsWhenMemoryRefusesGrowth() throws FrameException {
        var refuse = new FrameDecoder.Memory() {
            @Override public boolean acquire(long bytes, boolean force) { return force; }
            @Override public void release(long bytes) {}
        };
        var decoder = new FrameDecoder(FrameFormat.DEFAULT, refuse);
        decoder.next(ByteBuffer.wrap(new byte[] {0, 0, 1, 0}));
        assertNull(decoder.window(1024), "no room: the caller must wait before reading");
    }

    @Test
    void reportsEndOfStreamInsideAHeaderWithItsProgress() throws FrameException {
        var decoder = new FrameDecoder(FrameFormat.DEFAULT);
        decoder.next(ByteBuffer.wrap(new byte[] {0, 0}));
        var e = assertThrows(TruncatedFrameException.class, decoder::endOfStream);
        assertEquals("end of stream in header after 2 of 4 bytes", e.getMessage());
    }

    @Test
    void reportsEndOfStreamInsideABodyWithItsProgress() throws FrameException {
        var decoder = new FrameDecoder(FrameFormat.DEFAULT);
        decoder.next(ByteBuffer.wrap(new byte[] {1, 0, 0, 0, 1, 2, 3, 4}));
        var e = assertThrows(TruncatedFrameException.class, decoder::endOfStream);
        assertEquals("end of stream in body after 4 of 16777216 bytes", e.getMessage());
    }

    @Test
    void acceptsEndOfStreamBetweenFrames() throws FrameException {
        var decoder = new FrameDecoder(FrameFormat.DEFAULT);
        decoder.next(ByteBuffer.wrap(FrameFormat.DEFAULT.encode(new byte[3])));
        decoder.endOfStream();
    }

    @Test
    void seesACompleteFrameOnlyWhenItIsAllThere() throws FrameException {
        var decoder = new FrameDecoder(FrameFormat.DEFAULT);
        byte[] wire = FrameFormat.DEFAULT.encode(new byte[10]);
        for (int n = 0; n < wire.length; n++) assertFalse(decoder.hasCompleteFrame(ByteBuffer.wrap(wire, 0, n)), "n=" + n);
        assertTrue(decoder.hasCompleteFrame(ByteBuffer.wrap(wire)));
        assertTrue(decoder.hasCompleteFrame(ByteBuffer.wrap(new byte[] {-1, -1, -1, -1})), "a bad header is reported at once");
    }
}
