package loomframe.server;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/** Collects what the server logs through {@link ConnectionLog#LOG} (java.util.logging underneath). */
final class LogCapture extends Handler implements AutoCloseable {
    record Line(Level level, String message, boolean hasStackTrace) {}

    private final Logger logger = Logger.getLogger("loomframe");
    private final Level previous = logger.getLevel();
    final List<Line> lines = new CopyOnWriteArrayList<>();

    LogCapture() {
        setLevel(Level.ALL);
        logger.addHandler(this);
    }

    @Override
    public void publish(LogRecord r) {
        String message = r.getMessage();
        boolean placeholders = message != null && message.matches("(?s).*\\{\\d.*");
        if (placeholders && r.getParameters() != null) {           // as java.util.logging's own formatters do
            message = java.text.MessageFormat.format(message, r.getParameters());
        }
        boolean stackTrace = r.getThrown() != null
                || (r.getParameters() != null && java.util.Arrays.stream(r.getParameters()).anyMatch(p -> p instanceof Throwable));
        lines.add(new Line(r.getLevel(), message, stackTrace));
    }

    List<Line> containing(String text) {
        return lines.stream().filter(l -> l.message().contains(text)).toList();
    }

    @Override public void flush() {}

    @Override
    public void close() {
        logger.removeHandler(this);
        logger.setLevel(previous);
    }
}
