package loomframe.frame;

import java.io.IOException;

/**
 * The peer broke the framing protocol. The message says what was wrong with the numbers a user
 * needs to diagnose it; the connection that caused it is closed and nothing else is affected.
 */
public abstract sealed class FrameException extends IOException
        permits FrameTooLargeException, LengthBelowHeaderException, TruncatedFrameException, IdleTimeoutException {

    protected FrameException(String message) {
        super(message);
    }

    /** A short, stable name for counting closes by reason: {@code too-large}, {@code truncated}, ... */
    public abstract String reason();
}
