package loomframe.frame;

/** With {@code --length-includes-header}, the length field announced fewer bytes than the field itself. */
public final class LengthBelowHeaderException extends FrameException {

    LengthBelowHeaderException(long rawLength, FrameFormat format, String prefixHex) {
        super("announced length " + Long.toUnsignedString(rawLength) + " < header length " + format.lengthBytes()
                + " (prefix " + prefixHex + ", " + format.describeLength() + ")");
    }
}
