package loomframe.frame;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HexFormat;

/**
 * How a frame looks on the wire: the one place that knows the length-prefix rules.
 *
 * <pre>
 * frame = length field ‖ payload
 *
 * default: 4-byte big-endian length that counts the payload only
 * +-- length: 4 bytes, big-endian --+-- payload --+
 * | 00 00 00 05                      | h e l l o   |
 * +----------------------------------+-------------+
 *
 * lengthBytes(2)                       00 05 | h e l l o
 * order(LITTLE_ENDIAN)                 05 00 00 00 | h e l l o      (the classic C# BitConverter prefix)
 * lengthIncludesHeader(true)           00 00 00 09 | h e l l o      (4 header bytes + 5 payload bytes)
 * lengthBytes(8)                       00 00 00 00 00 00 00 05 | h e l l o
 * </pre>
 *
 * <p>The length is <em>unsigned</em>: a C# peer's {@code -1} arrives as {@code FF FF FF FF} and
 * reads as 4294967295, which is above any {@code maxFrame} and refused. {@code maxFrame} always
 * limits the <em>payload</em>, whatever the length counts. Instances are immutable.
 *
 * @param lengthBytes          width of the length field: 1, 2, 4 or 8
 * @param order                byte order of the length field
 * @param lengthIncludesHeader whether the length counts the length field itself
 * @param maxFrame             largest payload accepted, 0 .. {@link #MAX_FRAME_LIMIT}
 */
public record FrameFormat(int lengthBytes, ByteOrder order, boolean lengthIncludesHeader, int maxFrame) {

    /** Largest {@code maxFrame}: the largest array a JVM reliably allocates. */
    public static final int MAX_FRAME_LIMIT = Integer.MAX_VALUE - 8;
    /** 16 MiB. */
    public static final int DEFAULT_MAX_FRAME = 16 * 1024 * 1024;
    /** 4-byte big-endian length of the payload, payloads up to 16 MiB. */
    public static final FrameFormat DEFAULT = new FrameFormat(4, ByteOrder.BIG_ENDIAN, false, DEFAULT_MAX_FRAME);
    /** The classic C# sample's format: {@code BitConverter.GetBytes(int)}, little-endian, payload only. */
    public static final FrameFormat CSHARP_SAMPLE = DEFAULT.withOrder(ByteOrder.LITTLE_ENDIAN);

    public FrameFormat {
        if (lengthBytes != 1 && lengthBytes != 2 && lengthBytes != 4 && lengthBytes != 8) {
            throw new IllegalArgumentException("--length-bytes must be 1, 2, 4 or 8, got " + lengthBytes);
        }
        if (order == null) {
            throw new IllegalArgumentException("byte order must be big or little, got null");
        }
        if (maxFrame < 0 || maxFrame > MAX_FRAME_LIMIT) {
            throw new IllegalArgumentException("--max-frame must be 0.." + MAX_FRAME_LIMIT + ", got " + maxFrame);
        }
    }

    public FrameFormat withLengthBytes(int width) { return new FrameFormat(width, order, lengthIncludesHeader, maxFrame); }
    public FrameFormat withOrder(ByteOrder o) { return new FrameFormat(lengthBytes, o, lengthIncludesHeader, maxFrame); }
    public FrameFormat withLengthIncludesHeader(boolean b) { return new FrameFormat(lengthBytes, order, b, maxFrame); }
    public FrameFormat withMaxFrame(int max) { return new FrameFormat(lengthBytes, order, lengthIncludesHeader, max); }

    /** Bytes of the length field. */
    public int headerLength() {
        return lengthBytes;
    }

    /**
     * The largest payload this format can describe at all, whatever {@code maxFrame} says
     * (a 1-byte length counts at most 255, or 254 payload bytes when it includes itself).
     */
    public long largestEncodablePayload() {
        long fieldMax = lengthBytes == 8 ? Long.MAX_VALUE : (1L << (8 * lengthBytes)) - 1;
        return lengthIncludesHeader ? fieldMax - lengthBytes : fieldMax;
    }

    /**
     * Writes the length field for a payload of {@code payloadLength} bytes at {@code dst}'s
     * position and advances it.
     *
     * @throws IllegalArgumentException if the payload is above {@code maxFrame} or does not fit the field
     */
    public void encodeHeader(int payloadLength, ByteBuffer dst) {
        encodeHeader(payloadLength, dst, dst.position());
        dst.position(dst.position() + lengthBytes);
    }

    /**
     * Writes the length field for a payload of {@code payloadLength} bytes at {@code dst[index]},
     * leaving the buffer's position alone.
     *
     * @throws IllegalArgumentException if the payload is above {@code maxFrame} or does not fit the field
     */
    public void encodeHeader(int payloadLength, ByteBuffer dst, int index) {
        if (payloadLength < 0 || payloadLength > maxFrame || payloadLength > largestEncodablePayload()) {
            throw new IllegalArgumentException("payload of " + payloadLength + " bytes does not fit "
                    + this + " (max frame " + Math.min(maxFrame, largestEncodablePayload()) + ")");
        }
        long value = lengthIncludesHeader ? payloadLength + (long) lengthBytes : payloadLength;
        boolean little = order == ByteOrder.LITTLE_ENDIAN;
        for (int i = 0; i < lengthBytes; i++) {
            int shift = 8 * (little ? i : lengthBytes - 1 - i);
            dst.put(index + i, (byte) (value >>> shift));
        }
    }

    /** A whole frame (header and payload) as one new array: handy for clients and tests. */
    public byte[] encode(byte[] payload) {
        ByteBuffer frame = ByteBuffer.allocate(lengthBytes + payload.length);
        encodeHeader(payload.length, frame);
        frame.put(payload);
        return frame.array();
    }

    /**
     * Decodes a complete length field and returns the payload length it announces.
     *
     * @param header the {@link #headerLength()} bytes of the field, in wire order
     * @throws FrameTooLargeException if the payload would exceed {@code maxFrame}
     * @throws LengthBelowHeaderException if the length includes the header but is smaller than it
     */
    // tag::decode-header[]
    public int decodeHeader(byte[] header) throws FrameException {
        long raw = rawLength(header);  // unsigned: compare with compareUnsigned for 8-byte fields
        long payload;
        if (lengthIncludesHeader) {
            if (Long.compareUnsigned(raw, lengthBytes) < 0) {
                throw new LengthBelowHeaderException(raw, this, hex(header));
            }
            payload = raw - lengthBytes;
        } else {
            payload = raw;
        }
        if (Long.compareUnsigned(payload, maxFrame) > 0) {
            throw new FrameTooLargeException(raw, this, hex(header), signedMeaning(header, raw));
        }
        return (int) payload;
    }
    // end::decode-header[]

    private long rawLength(byte[] header) {
        long value = 0;
        boolean little = order == ByteOrder.LITTLE_ENDIAN;
        for (int i = 0; i < lengthBytes; i++) {
            int b = header[little ? lengthBytes - 1 - i : i] & 0xFF;
            value = (value << 8) | b;
        }
        return value;
    }

    /** What a peer that wrote a signed integer meant, when that differs from the unsigned reading. */
    private Long signedMeaning(byte[] header, long raw) {
        long signed = switch (lengthBytes) {
            case 1 -> (byte) raw;
            case 2 -> (short) raw;
            case 4 -> (int) raw;
            default -> raw;
        };
        return signed < 0 ? signed : null;
    }

    private static String hex(byte[] header) {
        return HexFormat.ofDelimiter(" ").withUpperCase().formatHex(header);
    }

    /** {@code 4-byte big-endian length} and, when it counts the header, {@code including itself}. */
    public String describeLength() {
        String orderName = order == ByteOrder.BIG_ENDIAN ? "big-endian" : "little-endian";
        return lengthBytes + "-byte " + orderName + " length" + (lengthIncludesHeader ? " including itself" : "");
    }

    @Override
    public String toString() {
        return describeLength() + ", max frame " + maxFrame;
    }
}
