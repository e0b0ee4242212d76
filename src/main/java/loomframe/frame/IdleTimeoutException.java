package loomframe.frame;

import java.time.Duration;

/**
 * No complete frame arrived within {@code --idle-timeout}. The deadline covers a whole frame, so a
 * peer that trickles one byte every few seconds ends here as well as one that sends nothing.
 */
public final class IdleTimeoutException extends FrameException {

    public IdleTimeoutException(Duration idleTimeout, String progress) {
        super("no complete frame within " + Durations.format(idleTimeout) + " (--idle-timeout); " + progress);
    }

    @Override
    public String reason() { return "idle"; }
}
