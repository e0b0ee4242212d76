package loomframe.server.core;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.ResourceBundle;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The server's log, readable under attack: one line per event, stack traces only at DEBUG
 * ({@code -v}), and at most {@link #BURST} lines per second for each kind of warning — the rest
 * are counted and the count is reported with the next line that gets through.
 *
 * <p>Each record carries its {@link Fields} (the peer and the close reason, where there are
 * such) as its first parameter, and the cause, if any, as the second, so a log handler can print
 * structured lines ({@code --log-format json}) without parsing messages. Messages never contain
 * {@code {0}}-style placeholders, so a handler that formats parameters leaves them as they are.
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

    /** The structured part of a record: who it is about and why the connection closed; either may be null. */
    public record Fields(String peer, String reason) {}

    private static final Fields NONE = new Fields(null, null);

    /** Logs {@code message} unless {@code kind} already had its share this second. */
    public void log(Level level, String kind, String message, Throwable cause) {
        log(level, kind, NONE, message, cause);
    }

    /** Logs {@code message}, with its peer and reason, unless {@code kind} already had its share this second. */
    public void log(Level level, String kind, Fields fields, String message, Throwable cause) {
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
        if (cause != null) {
            LOG.log(level, (ResourceBundle) null, line, fields, cause);
        } else {
            LOG.log(level, (ResourceBundle) null, line, fields);
        }
    }
}
