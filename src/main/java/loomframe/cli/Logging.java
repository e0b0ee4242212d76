package loomframe.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import loomframe.server.core.ConnectionLog;

/**
 * Sets up the {@code loomframe} logger (the servers log through {@code System.Logger}, which is
 * java.util.logging underneath): one line per record on stderr, as text,
 * {@code 2025-01-31 12:00:00.123 WARN message}, or with {@code --log-format json} as one JSON object,
 * {@code {"time":"2025-01-31T11:00:00.123Z","level":"WARN","message":"...","peer":"127.0.0.1:51234","reason":"too-large"}}.
 * INFO by default; verbose shows DEBUG records and stack traces, otherwise an exception is
 * summarised on the same line. Both formats print the same records: the rate limits and the
 * suppression counts are applied before a record reaches this handler ({@code ConnectionLog}).
 */
final class Logging {
    /** {@code --log-format}. */
    enum Format {
        TEXT, JSON;

        String cliName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Held strongly: java.util.logging keeps loggers by weak reference and would forget the level. */
    private static final Logger ROOT = Logger.getLogger("loomframe");
    private static volatile boolean verbose;
    private static volatile Format format = Format.TEXT;

    private Logging() {}

    static boolean verbose() {
        return verbose;
    }

    /** A new command line starts as text, not verbose, whatever a command run before it in this JVM chose. */
    static void reset() {
        verbose = false;
        format = Format.TEXT;
    }

    /**
     * The line a failed command ends with on stderr: {@code loomframe: MESSAGE} and, for a surprise, the
     * stack trace before it; with {@code --log-format json}, one JSON object holding both.
     */
    static String failure(String message, Throwable trace) {
        if (format == Format.JSON) {
            var sb = new StringBuilder(128);
            JsonLine.open(sb, Instant.now(), "ERROR", message);
            if (trace != null) JsonLine.cause(sb, trace, true);
            return sb.append('}').toString();
        }
        if (trace == null) return "loomframe: " + message;
        return stackTrace(trace) + System.lineSeparator() + "loomframe: " + message;
    }

    static void configure(PrintWriter err, boolean verboseOutput) {
        configure(err, verboseOutput, Format.TEXT);
    }

    static synchronized void configure(PrintWriter err, boolean verboseOutput, Format lineFormat) {
        verbose = verboseOutput;
        format = lineFormat;
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
        handler.setFormatter(lineFormat == Format.JSON ? new JsonLine(verboseOutput) : new OneLine(verboseOutput));
        ROOT.addHandler(handler);
        ShutdownSafeLogManager.keepHandlers();
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
                    .append(message(r));
            Throwable t = thrown(r);
            if (t != null && stackTraces) {
                sb.append(System.lineSeparator()).append(stackTrace(t));
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

        static String levelName(Level level) {
            int v = level.intValue();
            if (v >= Level.SEVERE.intValue()) return "ERROR";
            if (v >= Level.WARNING.intValue()) return "WARN";
            if (v >= Level.INFO.intValue()) return "INFO";
            if (v >= Level.FINE.intValue()) return "DEBUG";
            return "TRACE";
        }
    }

    /**
     * The record's message as logged. Not {@code Formatter.formatMessage}: the server's messages are
     * complete (they may quote a peer's or a handler's text), and MessageFormat would replace a
     * {@code {0}} in them with the record's {@code ConnectionLog.Fields}.
     */
    static String message(LogRecord r) {
        return String.valueOf(r.getMessage());
    }

    static String stackTrace(Throwable t) {
        var trace = new StringWriter();
        t.printStackTrace(new PrintWriter(trace));
        return trace.toString().stripTrailing();
    }

    /**
     * {@code --log-format json}: one object per line, for log shippers. {@code time} is UTC with
     * milliseconds; {@code level} and {@code message} are the text format's; {@code peer} and
     * {@code reason} (a close reason's stable name) come from the record's {@link ConnectionLog.Fields}
     * and appear where a record has them; {@code cause} names the exception, and {@code stack} holds
     * its trace with {@code -v}. Every newline inside a value is escaped, so one record stays one line.
     */
    static final class JsonLine extends Formatter {
        private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);
        private final boolean stackTraces;

        JsonLine(boolean stackTraces) {
            this.stackTraces = stackTraces;
        }

        @Override
        public String format(LogRecord r) {
            var sb = new StringBuilder(192);
            open(sb, r.getInstant(), OneLine.levelName(r.getLevel()), message(r));
            Object[] params = r.getParameters();
            if (params != null && params.length > 0 && params[0] instanceof ConnectionLog.Fields f) {
                if (f.peer() != null) sb.append(",\"peer\":").append(Json.quote(f.peer()));
                if (f.reason() != null) sb.append(",\"reason\":").append(Json.quote(f.reason()));
            }
            Throwable t = OneLine.thrown(r);
            if (t != null) cause(sb, t, stackTraces);
            return sb.append('}').append(System.lineSeparator()).toString();
        }

        static void open(StringBuilder sb, Instant time, String level, String message) {
            sb.append("{\"time\":").append(Json.quote(TIME.format(time)))
                    .append(",\"level\":").append(Json.quote(level))
                    .append(",\"message\":").append(Json.quote(String.valueOf(message)));
        }

        static void cause(StringBuilder sb, Throwable t, boolean withStack) {
            sb.append(",\"cause\":").append(Json.quote(t.toString()));
            if (withStack) sb.append(",\"stack\":").append(Json.quote(stackTrace(t)));
        }
    }
}
