package loomframe.server;

import loomframe.frame.FrameException;
import loomframe.frame.FrameTooLargeException;
import loomframe.frame.LengthBelowHeaderException;
import loomframe.frame.TruncatedFrameException;

/**
 * Why a connection was closed. Each reason has a stable name: the one the stats line
 * ({@code closed={eof=12, idle=3}}), the log and the metrics print, which scripts may rely on.
 */
public enum CloseReason {
    /** The peer closed its side between frames: the normal end. */
    EOF("eof", false),
    /** Closed at a frame boundary because the server is shutting down. */
    SHUTDOWN("shutdown", false),
    /** Still inside a frame when {@code --shutdown-timeout} ran out. */
    FORCED("forced", false),
    /** No complete frame within {@code --idle-timeout}: idle, or trickling a frame byte by byte. */
    IDLE("idle", true),
    /** A length field announced more than {@code --max-frame}. */
    TOO_LARGE("too-large", true),
    /** With {@code --length-includes-header}, a length below the field's own width. */
    BELOW_HEADER("below-header", true),
    /** The stream ended inside a frame. */
    TRUNCATED("truncated", true),
    /** Reset by the peer, broken pipe or another I/O error. */
    RESET("reset", true),
    /** The frame handler threw (an exception or an {@link Error} such as {@link StackOverflowError}). */
    HANDLER_ERROR("handler-error", true),
    /** The handler's backend could not be reached, failed or stalled ({@link BackendException}). */
    BACKEND("backend", true),
    /**
     * TLS failed: the handshake (a plaintext client on a TLS port, a client that does not trust the
     * server, a missing required client certificate, a handshake not finished within
     * {@code --idle-timeout}), or a broken record later.
     */
    TLS("tls", true),
    /** The connection could not be started (for example, no thread could be created for it). */
    START_FAILED("start-failed", true),
    /** A failure in the server itself while serving this connection (a bug, or an {@link OutOfMemoryError}). */
    INTERNAL_ERROR("internal-error", true);

    private final String label;
    private final boolean error;

    CloseReason(String label, boolean error) {
        this.label = label;
        this.error = error;
    }

    /** The stable name: {@code eof}, {@code too-large}, ... */
    public String label() {
        return label;
    }

    /** Whether this counts in the stats line's {@code errors}: everything but {@code eof}, {@code shutdown} and {@code forced} (which has its own count). */
    public boolean isError() {
        return error;
    }

    /** Whether the peer broke the framing protocol (replies owed for earlier frames are still sent). */
    public boolean isProtocolError() {
        return this == TOO_LARGE || this == BELOW_HEADER || this == TRUNCATED;
    }

    /** The reason a protocol error closes a connection with. */
    public static CloseReason of(FrameException e) {
        return switch (e) {
            case FrameTooLargeException x -> TOO_LARGE;
            case LengthBelowHeaderException x -> BELOW_HEADER;
            case TruncatedFrameException x -> TRUNCATED;
        };
    }

    @Override
    public String toString() {
        return label;
    }
}
