package loomframe.frame;

/**
 * The length field announced more than {@code --max-frame}. Most often the port is spoken to in
 * another protocol, or by a peer with another byte order or width, or a signed peer sent a
 * negative length, so the message shows the raw prefix bytes and both readings.
 */
public final class FrameTooLargeException extends FrameException {
    private final long announced;
    private final int maxFrame;

    FrameTooLargeException(long rawLength, FrameFormat format, String prefixHex, Long signedMeaning) {
        super("announced length " + Long.toUnsignedString(rawLength) + " > --max-frame " + format.maxFrame()
                + " (prefix " + prefixHex + ", " + format.describeLength()
                + (signedMeaning != null ? "; " + signedMeaning + " as signed int" + 8 * format.lengthBytes() : "")
                + ")");
        this.announced = rawLength;
        this.maxFrame = format.maxFrame();
    }

    /** The length field read unsigned, as it was on the wire. */
    public long announced() { return announced; }

    public int maxFrame() { return maxFrame; }
}
