package loomframe.frame;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class FrameFormatTest {

    private static byte[] header(FrameFormat format, int payloadLength) {
        ByteBuffer b = ByteBuffer.allocate(format.headerLength());
        format.encodeHeader(payloadLength, b);
        return b.array();
    }

    @Test
    void writesTheDefaultHeaderBigEndian() {
        assertArrayEquals(new byte[] {0, 0, 0, 5}, header(FrameFormat.DEFAULT, 5));
    }

    @Test
    void writesTheCSharpSampleHeaderLittleEndian() {
        assertArrayEquals(new byte[] {5, 0, 0, 0}, header(FrameFormat.CSHARP_SAMPLE, 5));
    }

    @Test
    void countsTheHeaderWhenAskedTo() {
        FrameFormat f = FrameFormat.DEFAULT.withLengthIncludesHeader(true);
        assertArrayEquals(new byte[] {0, 0, 0, 9}, header(f, 5));
        assertEquals(5, assertDoesNotThrowDecode(f, new byte[] {0, 0, 0, 9}));
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 4, 8})
    void roundTripsEveryWidthAndOrder(int width) throws FrameException {
        for (ByteOrder order : new ByteOrder[] {ByteOrder.BIG_ENDIAN, ByteOrder.LITTLE_ENDIAN}) {
            for (boolean includes : new boolean[] {false, true}) {
                FrameFormat f = new FrameFormat(width, order, includes, FrameFormat.DEFAULT_MAX_FRAME);
                int largest = (int) Math.min(f.largestEncodablePayload(), 70_000);
                for (int n : new int[] {0, 1, 200, largest}) {
                    assertEquals(n, f.decodeHeader(header(f, n)), f + " n=" + n);
                }
            }
        }
    }

    @Test
    void readsLengthsUnsigned() throws FrameException {
        FrameFormat f = FrameFormat.DEFAULT.withLengthBytes(2).withMaxFrame(70_000);
        assertEquals(65535, f.decodeHeader(new byte[] {(byte) 0xFF, (byte) 0xFF}));
    }

    @Test
    void refusesTheCSharpMinusOneWithItsBytesAndMeaning() {
        var e = assertThrows(FrameTooLargeException.class,
                () -> FrameFormat.CSHARP_SAMPLE.decodeHeader(new byte[] {-1, -1, -1, -1}));
        assertEquals("announced length 4294967295 > --max-frame 16777216 "
                + "(prefix FF FF FF FF, 4-byte little-endian length; -1 as signed int32)", e.getMessage());
        assertEquals(4294967295L, e.announced());
    }

    @Test
    void refusesAnEightByteLengthAboveLongMaxValue() {
        var e = assertThrows(FrameTooLargeException.class,
                () -> FrameFormat.DEFAULT.withLengthBytes(8).decodeHeader(new byte[] {-1, -1, -1, -1, -1, -1, -1, -2}));
        assertTrue(e.getMessage().startsWith("announced length 18446744073709551614 > --max-frame 16777216"), e.getMessage());
    }

    @Test
    void acceptsMaxFrameExactlyAndRefusesOneMore() throws FrameException {
        FrameFormat f = FrameFormat.DEFAULT.withMaxFrame(1000);
        assertEquals(1000, f.decodeHeader(new byte[] {0, 0, 0x03, (byte) 0xE8}));
        var e = assertThrows(FrameTooLargeException.class, () -> f.decodeHeader(new byte[] {0, 0, 0x03, (byte) 0xE9}));
        assertEquals("announced length 1001 > --max-frame 1000 (prefix 00 00 03 E9, 4-byte big-endian length)", e.getMessage());
    }

    @Test
    void limitsThePayloadEvenWhenTheLengthCountsTheHeader() throws FrameException {
        FrameFormat f = FrameFormat.DEFAULT.withLengthIncludesHeader(true).withMaxFrame(1000);
        assertEquals(1000, f.decodeHeader(new byte[] {0, 0, 0x03, (byte) 0xEC}));
        assertThrows(FrameTooLargeException.class, () -> f.decodeHeader(new byte[] {0, 0, 0x03, (byte) 0xED}));
    }

    @Test
    void refusesALengthSmallerThanTheHeaderItCounts() {
        FrameFormat f = FrameFormat.DEFAULT.withLengthIncludesHeader(true);
        var e = assertThrows(LengthBelowHeaderException.class, () -> f.decodeHeader(new byte[] {0, 0, 0, 3}));
        assertEquals("announced length 3 < header length 4 (prefix 00 00 00 03, 4-byte big-endian length including itself)",
                e.getMessage());
    }

    @Test
    void namesTheBadValueInConstructorErrors() {
        var e = assertThrows(IllegalArgumentException.class, () -> FrameFormat.DEFAULT.withLengthBytes(3));
        assertEquals("--length-bytes must be 1, 2, 4 or 8, got 3", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> FrameFormat.DEFAULT.withMaxFrame(-1));
        assertThrows(IllegalArgumentException.class, () -> FrameFormat.DEFAULT.withMaxFrame(Integer.MAX_VALUE));
    }

    @Test
    void refusesToEncodeWhatTheFieldCannotHold() {
        FrameFormat oneByte = FrameFormat.DEFAULT.withLengthBytes(1);
        assertArrayEquals(new byte[] {(byte) 255}, header(oneByte, 255));
        assertThrows(IllegalArgumentException.class, () -> header(oneByte, 256));
        assertThrows(IllegalArgumentException.class, () -> header(oneByte.withLengthIncludesHeader(true), 255));
    }

    private static int assertDoesNotThrowDecode(FrameFormat f, byte[] h) {
        try {
            return f.decodeHeader(h);
        } catch (FrameException e) {
            throw new AssertionError(e);
        }
    }
}
