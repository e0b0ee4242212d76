package loomframe.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import loomframe.TestWire;
import loomframe.frame.FrameFormat;
import loomframe.server.CloseReason;
import loomframe.server.Impl;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code serve --metrics}, {@code --drain-delay} and {@code --log-format json} in a child JVM, as an
 * operator runs them: the metrics line, {@code /health} from serving through SIGTERM to exit, and
 * every stderr line parsed as JSON by Jackson.
 */
@Timeout(90)
class ServeOperatorTest {
    private static final Pattern LISTENING = Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+) .*");
    private static final Pattern METRICS = Pattern.compile("metrics on (http://127\\.0\\.0\\.1:\\d+)/metrics, health on http://127\\.0\\.0\\.1:\\d+/health");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> LEVELS = Set.of("ERROR", "WARN", "INFO", "DEBUG", "TRACE");

    @ParameterizedTest
    @EnumSource(Impl.class)
    void healthSaysOkThenDrainingFromSigtermUntilExitWhileTheDrainDelayStillServes(Impl impl) throws Exception {
        try (var serve = ServeCommandTest.Child.start("serve", "--port", "0", "--impl", impl.cliName(), "--metrics", "0",
                "--drain-delay", "3s", "--shutdown-timeout", "10s", "--log-format", "json")) {
            Matcher listening = LISTENING.matcher(serve.nextLine());
            assertTrue(listening.matches(), serve.toString());
            int port = Integer.parseInt(listening.group(1));
            serve.nextLine();                                                 // the loopback note
            Matcher metrics = METRICS.matcher(serve.nextLine());
            assertTrue(metrics.matches(), "metrics line: " + serve);
            String base = metrics.group(1);

            assertEquals("200 ok\n", health(base));
            String text = get(base + "/metrics").body();
            assertTrue(text.contains("loomframe_connections_opened_total{impl=\"" + impl.cliName() + "\"} 0"), text);
            assertTrue(text.contains("jvm_threads_current"), "JVM metrics");

            try (var midFrame = new TestWire(port, FrameFormat.DEFAULT)) {
                midFrame.write(new byte[] {0, 0, 0, 5, 'h', 'e'});             // keeps the drain going until it finishes
                awaitTrue("the server has the half frame", () -> get(base + "/metrics").body()
                        .contains("loomframe_bytes_received_total{impl=\"" + impl.cliName() + "\"} 6"));
                serve.process.destroy();                                       // SIGTERM
                awaitTrue("/health turns 503", () -> health(base).startsWith("503"));
                assertEquals("503 draining\n", health(base));
                echoOnANewConnection(port);                                    // the drain delay still accepts and serves
                // Past the drain delay the server stops accepting and waits for this half frame (up to
                // --shutdown-timeout 10s). Not probed with connects, which would count as connections;
                // should the delay not be over yet on a slow machine, what follows holds all the same.
                Thread.sleep(3500);
                assertEquals("503 draining\n", health(base), "still answering while the drain goes on");
                midFrame.write(new byte[] {'l', 'l', 'o'});
                assertArrayEquals("hello".getBytes(UTF_8), midFrame.readFrame());
                assertTrue(midFrame.closedByServer());
            }
            assertTrue(serve.process.waitFor(30, TimeUnit.SECONDS), "serve ends");
            assertEquals(0, serve.process.exitValue(), serve.toString());
            assertTrue(serve.lastLine().startsWith("final stats: connections=2 open=0 frames=2 "), serve.toString());
            assertTrue(serve.lastLine().endsWith("closed={eof=1, shutdown=1}"), serve.toString());

            List<JsonNode> lines = jsonLines(serve.errLines());
            assertTrue(lines.stream().anyMatch(l -> l.get("level").asText().equals("INFO")
                    && l.get("message").asText().startsWith("shutting down in 3s (--drain-delay)")), serve.toString());
        }
    }

    /**
     * Bad clients under {@code --log-format json -v}: every line is one JSON object with the peer and
     * the close reason; the rate limit is the text format's (10 lines a second for a kind, the rest
     * counted in the next line that gets through).
     */
    @Test
    void jsonLogLinesCarryPeerAndReasonAndTheSameRateLimit() throws Exception {
        try (var serve = ServeCommandTest.Child.start("serve", "--port", "0", "--log-format", "json", "-v")) {
            Matcher listening = LISTENING.matcher(serve.nextLine());
            assertTrue(listening.matches(), serve.toString());
            int port = Integer.parseInt(listening.group(1));
            int bad = 15;
            for (int i = 0; i < bad; i++) tooLarge(port);
            Thread.sleep(1100);                                               // the next second: the count of those held back
            tooLarge(port);
            try (var reset = new Socket("127.0.0.1", port)) {                 // a reset: a DEBUG line with its cause (-v)
                reset.setSoLinger(true, 0);
            }
            send(port);
            awaitTrue("the reset is logged", () -> serve.errLines().stream().anyMatch(l -> l.contains("\"reason\":\"reset\"")));
            serve.process.destroy();
            assertTrue(serve.process.waitFor(30, TimeUnit.SECONDS));

            List<JsonNode> lines = jsonLines(serve.errLines());
            List<JsonNode> tooLarge = lines.stream().filter(l -> l.path("reason").asText().equals("too-large")).toList();
            int logged = tooLarge.size(), suppressed = 0;
            Pattern count = Pattern.compile("\\((\\d+) more 'too-large' lines suppressed\\)");
            for (JsonNode l : tooLarge) {
                assertEquals("WARN", l.get("level").asText());
                assertTrue(l.get("peer").asText().matches("127\\.0\\.0\\.1:\\d+"), l.toString());
                assertTrue(l.get("message").asText().startsWith(l.get("peer").asText() + " closed: announced length 4294967295 > --max-frame"), l.toString());
                Matcher m = count.matcher(l.get("message").asText());
                if (m.find()) suppressed += Integer.parseInt(m.group(1));
            }
            assertEquals(bad + 1, logged + suppressed, "every bad client is a line or counted in one: " + tooLarge);
            assertTrue(logged < bad + 1, "the rate limit held some back: " + tooLarge);

            JsonNode reset = lines.stream().filter(l -> l.path("reason").asText().equals("reset")).findFirst().orElseThrow();
            assertEquals("DEBUG", reset.get("level").asText());
            assertTrue(reset.get("cause").asText().contains("Exception"), reset.toString());
            assertTrue(reset.get("stack").asText().contains("\n\tat "), "-v: the stack trace, inside the one line");
        }
    }

    @Test
    void aMetricsPortInUseIsARuntimeFailureOnOneLine() throws Exception {
        try (var taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            CliRun run = CliRun.of("serve", "--port", "0", "--metrics", "" + taken.getLocalPort());
            assertEquals(1, run.code(), run.toString());
            assertEquals("", run.out(), "no readiness line for a server that is not fully up");
            assertEquals(1, run.err().lines().count(), run.toString());
            assertTrue(run.err().startsWith("loomframe: cannot serve metrics on 127.0.0.1:" + taken.getLocalPort() + ": "), run.err());
            assertTrue(run.err().contains("--metrics 0"), run.err());
        }
    }

    @Test
    void aRuntimeFailureIsOneJsonLineWithJsonLogs() throws Exception {
        try (var taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            CliRun run = CliRun.of("serve", "--port", "" + taken.getLocalPort(), "--log-format", "json");
            assertEquals(1, run.code(), run.toString());
            List<JsonNode> lines = jsonLines(run.err().lines().toList());
            assertEquals(1, lines.size(), run.toString());
            assertEquals("ERROR", lines.get(0).get("level").asText());
            assertTrue(lines.get(0).get("message").asText().startsWith("cannot listen on 127.0.0.1:" + taken.getLocalPort()), run.err());
        }
    }

    /** Every line parses as one JSON object with a time, a level and a message; peer and reason are well-formed where present. */
    static List<JsonNode> jsonLines(List<String> lines) throws IOException {
        List<JsonNode> nodes = new ArrayList<>();
        Set<String> reasons = Set.copyOf(Arrays.stream(CloseReason.values()).map(CloseReason::label).toList());
        for (String line : lines) {
            JsonNode n = JSON.readTree(line);
            assertTrue(n.isObject(), "not a JSON object: " + line);
            Instant.parse(n.get("time").asText());
            assertTrue(LEVELS.contains(n.get("level").asText()), line);
            assertTrue(n.get("message").isTextual(), line);
            if (n.has("reason")) assertTrue(reasons.contains(n.get("reason").asText()), line);
            nodes.add(n);
        }
        return nodes;
    }

    private static void tooLarge(int port) throws IOException {
        try (var wire = new TestWire(port, FrameFormat.DEFAULT)) {
            wire.write(new byte[] {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF});
            wire.closedByServer();
        }
    }

    private static void send(int port) {
        CliRun run = CliRun.of("send", "--port", "" + port, "--message", "hi");
        assertEquals(0, run.code(), run.toString());
    }

    private static void echoOnANewConnection(int port) throws IOException {
        try (var wire = new TestWire(port, FrameFormat.DEFAULT)) {
            wire.write(FrameFormat.DEFAULT.encode("hi".getBytes(UTF_8)));
            assertArrayEquals("hi".getBytes(UTF_8), wire.readFrame());
        }
    }

    private static String health(String base) throws IOException, InterruptedException {
        HttpResponse<String> r = get(base + "/health");
        return r.statusCode() + " " + r.body();
    }

    private static HttpResponse<String> get(String url) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    interface Check {
        boolean ok() throws Exception;
    }

    private static void awaitTrue(String what, Check check) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!check.ok()) {
            if (System.nanoTime() - deadline > 0) throw new AssertionError("timed out waiting for: " + what);
            Thread.sleep(20);
        }
    }
}
