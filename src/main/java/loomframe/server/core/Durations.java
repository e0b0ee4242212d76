package loomframe.server.core;

import java.time.Duration;

/** Formats durations the way the command line takes them, {@code 250ms}, {@code 60s}, {@code 2m}: for log lines and the readiness line. */
public final class Durations {
    private Durations() {}

    public static String format(Duration d) {
        long ms = d.toMillis();
        if (ms % 60_000 == 0 && ms >= 60_000) return ms / 60_000 + "m";
        if (ms % 1000 == 0) return ms / 1000 + "s";
        return ms + "ms";
    }
}
