package loomframe.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Sets up the {@code loomframe} logger (the servers log through {@code System.Logger}, which is
 * java.util.logging underneath): one line per record on stderr, {@code 2025-01-31 12:00:00.123 WARN message}.
 * INFO by default; verbose shows DEBUG records and stack traces, otherwise an exception is
 * summarised on the same line.
 */
final class Logging {
    /** Held strongly: java.util.logging keeps loggers by weak reference and would forget the level. */
    private static final Logger ROOT = Logger.getLogger("loomframe");
    private static volatile boolean verbose;

    private Logging() {}

    static boolean verbose() {
        return verbose;
    }

    static synchronized void configure(PrintWriter err, boolean verboseOutput) {
        verbose = verboseOutput;
        for (Handler h : ROOT.getHandlers()) {
            ROOT.removeHandler(h);
        }
        Level level = verboseOutput ? Level.FINE : Level.INFO;
        ROOT.setUseParentHandlers(false);
        ROOT.setLevel(level);
        Handler handler = new Handler() {
            @Override
            public void publish(LogRecord record) {
                if (!isLoggable(record)) return;
                String line = getFormatter().format(record);
                synchronized (err) {
                    err.print(line);
                    err.flush();
                }
            }

            @Override
            public void flush() {
                err.flush();
            }

            @Override
            public void close() {
                err.flush();
            }
        };
        handler.setLevel(level);
        handler.setFormatter(new OneLine(verboseOutput));
        ROOT.addHandler(handler);
    }

    private static final class OneLine extends Formatter {
        private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS");
        private final boolean stackTraces;

        OneLine(boolean stackTraces) {
            this.stackTraces = stackTraces;
        }

        @Override
        public String format(LogRecord r) {
            var sb = new StringBuilder(128)
                    .append(TIME.format(LocalDateTime.now())).append(' ')
                    .append(levelName(r.getLevel())).append(' ')
                    .append(formatMessage(r));
            Throwable t = thrown(r);
            if (t != null && stackTraces) {
                var trace = new StringWriter();
                t.printStackTrace(new PrintWriter(trace));
                sb.append(System.lineSeparator()).append(trace.toString().stripTrailing());
            } else if (r.getThrown() != null) {
                sb.append(": ").append(t);          // the server's own lines already name their cause
            }
            return sb.append(System.lineSeparator()).toString();
        }

        /** The record's cause: the server logs it as a parameter, after its {@code ConnectionLog.Fields}. */
        static Throwable thrown(LogRecord r) {
            if (r.getThrown() != null) return r.getThrown();
            Object[] params = r.getParameters();
            if (params != null) {
                for (Object p : params) if (p instanceof Throwable t) return t;
            }
            return null;
        }

        private static String levelName(Level level) {
            int v = level.intValue();
            if (v >= Level.SEVERE.intValue()) return "ERROR";
            if (v >= Level.WARNING.intValue()) return "WARN";
            if (v >= Level.INFO.intValue()) return "INFO";
            if (v >= Level.FINE.intValue()) return "DEBUG";
            return "TRACE";
        }
    }
}
