package loomframe.frame;

import java.io.IOException;

/**
 * The peer broke the framing protocol. The message says what was wrong with the numbers a user
 * needs to diagnose it, e.g. {@code announced length 4294967295 > --max-frame 16777216 (prefix FF FF
 * FF FF, 4-byte big-endian length; -1 as signed int32)}. A server closes the connection that caused
 * it and nothing else is affected.
 *
 * <p>Sealed: the three ways a byte stream can break the format are all there are, so a server can
 * map each to its own close reason with an exhaustive {@code switch}.
 */
public abstract sealed class FrameException extends IOException
        permits FrameTooLargeException, LengthBelowHeaderException, TruncatedFrameException {

    protected FrameException(String message) {
        super(message);
    }
}
