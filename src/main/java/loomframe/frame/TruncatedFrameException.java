package loomframe.frame;

/** The stream ended inside a frame: {@code end of stream in body after 4 of 16777216 bytes}. */
public final class TruncatedFrameException extends FrameException {

    public TruncatedFrameException(String progress) {
        super("end of stream in " + progress);
    }
}
