package loomframe.server.core;

/**
 * Whatever a frame handler threw (an exception or an {@link Error}), wrapped so that the
 * connection can tell the handler's failure from its own: it closes that connection only,
 * counted as {@code handler-error}.
 */
public final class HandlerFailure extends Exception {
    public HandlerFailure(Throwable cause) {
        super(cause);
    }
}
