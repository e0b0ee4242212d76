package loomframe.server;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The server's log, readable under attack: one line per event, stack traces only at DEBUG
 * ({@code -v}), and at most {@link #BURST} lines per second for each kind of warning — the rest
 * are counted and the count is reported with the next line that gets through.
 */
public final class ConnectionLog {
    static final int BURST = 10;
    public static final Logger LOG = System.getLogger("loomframe");

    private final ConcurrentHashMap<String, Window> windows = new ConcurrentHashMap<>();

    private static final class Window {
        long second = Long.MIN_VALUE;
        int lines;
        final AtomicLong suppressed = new AtomicLong();
    }

    /** Logs {@code message} unless {@code kind} already had its share this second. */
    public void log(Level level, String kind, String message, Throwable cause) {
        if (!LOG.isLoggable(level)) return;
        Window w = windows.computeIfAbsent(kind, k -> new Window());
        long second = System.nanoTime() / 1_000_000_000L;
        long suppressedBefore;
        synchronized (w) {           // held for a few field writes, never around I/O
            if (w.second != second) {
                w.second = second;
                w.lines = 0;
            }
            if (++w.lines > BURST) {
                w.suppressed.incrementAndGet();
                return;
            }
            suppressedBefore = w.suppressed.getAndSet(0);
        }
        String line = suppressedBefore > 0
                ? message + " (" + suppressedBefore + " more '" + kind + "' lines suppressed)"
                : message;
        if (cause != null && LOG.isLoggable(Level.DEBUG)) {
            LOG.log(level, line, cause);
        } else {
            LOG.log(level, line);
        }
    }
}
