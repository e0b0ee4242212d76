package loomframe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.System.Logger.Level;
import java.net.SocketException;
import java.util.List;
import loomframe.server.core.ConnectionLog;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The two log formats print the same records; the JSON one stays one parseable line whatever a message holds. */
class LoggingTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @AfterEach
    void textAgain() {
        Logging.configure(new PrintWriter(new StringWriter()), false);
        Logging.reset();
    }

    @Test
    void jsonAndTextPrintTheSameRecordsWithTheSameMessages() throws IOException {
        String nasty = "peer said \"hi\"\\ then\nnew line\ttab \u0001 \u2028 é {0} done";
        List<String> text = log(Logging.Format.TEXT, nasty);
        List<String> json = log(Logging.Format.JSON, nasty);
        assertEquals(text.size(), json.size(), "same records:\n" + text + "\n" + json);
        for (int i = 0; i < json.size(); i++) {
            JsonNode n = JSON.readTree(json.get(i));
            String message = n.get("message").asText();
            assertTrue(text.get(i).contains(message.contains("\n") ? message.substring(0, message.indexOf('\n')) : message),
                    "text line " + text.get(i) + " has the JSON message " + message);
        }
        JsonNode bad = JSON.readTree(json.get(0));
        assertEquals("WARN", bad.get("level").asText());
        assertEquals(nasty, bad.get("message").asText(), "every character comes back");
        assertEquals("127.0.0.1:5", bad.get("peer").asText());
        assertEquals("too-large", bad.get("reason").asText());
        assertFalse(bad.has("cause"));
        JsonNode plain = JSON.readTree(json.get(1));
        assertFalse(plain.has("peer") || plain.has("reason"), "no fields where a record has none: " + plain);
        JsonNode reset = JSON.readTree(json.get(2));
        assertEquals("java.net.SocketException: Connection reset", reset.get("cause").asText());
        assertFalse(reset.has("stack"), "stack traces only with -v");
    }

    /** Logs three records through ConnectionLog, as the server does, with {@code format}; returns the stderr lines. */
    private static List<String> log(Logging.Format format, String nasty) {
        var err = new StringWriter();
        Logging.configure(new PrintWriter(err), false, format);
        var log = new ConnectionLog();
        log.log(Level.WARNING, "too-large", new ConnectionLog.Fields("127.0.0.1:5", "too-large"), nasty, null);
        log.log(Level.WARNING, "accept", "accept failed", null);
        log.log(Level.INFO, "reset", new ConnectionLog.Fields("127.0.0.1:6", "reset"), "127.0.0.1:6 gone", new SocketException("Connection reset"));
        log.log(Level.DEBUG, "eof", new ConnectionLog.Fields("127.0.0.1:7", "eof"), "not shown without -v", null);
        return format == Logging.Format.JSON ? err.toString().lines().toList()
                : err.toString().lines().filter(l -> l.matches("^\\d{4}-\\d\\d-\\d\\d .*")).toList();   // a record's first line
    }
}
