package loomframe.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.prometheus.metrics.expositionformats.generated.com_google_protobuf_4_36_2.Metrics;
import java.io.File;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import loomframe.Loomframe;
import loomframe.TestWire;
import loomframe.frame.FrameFormat;
import loomframe.server.Server;
import loomframe.server.ServerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The exposition itself: the documented names and types, and a text format that Prometheus' own parser accepts. */
@Timeout(60)
class ExpositionTest {

    /** The names the README and the issue list; a rename must change both. */
    private static final Map<String, Metrics.MetricType> LOOMFRAME_METRICS = new TreeMap<>(Map.ofEntries(
            Map.entry("loomframe_connections_opened_total", Metrics.MetricType.COUNTER),
            Map.entry("loomframe_connections_open", Metrics.MetricType.GAUGE),
            Map.entry("loomframe_connections_closed_total", Metrics.MetricType.COUNTER),
            Map.entry("loomframe_connections_rejected_total", Metrics.MetricType.COUNTER),
            Map.entry("loomframe_connections_waiting_for_budget", Metrics.MetricType.GAUGE),
            Map.entry("loomframe_frames_received_total", Metrics.MetricType.COUNTER),
            Map.entry("loomframe_frames_sent_total", Metrics.MetricType.COUNTER),
            Map.entry("loomframe_bytes_received_total", Metrics.MetricType.COUNTER),
            Map.entry("loomframe_bytes_sent_total", Metrics.MetricType.COUNTER),
            Map.entry("loomframe_buffered_bytes", Metrics.MetricType.GAUGE),
            Map.entry("loomframe_buffered_bytes_max", Metrics.MetricType.GAUGE),
            Map.entry("loomframe_frame_size_bytes", Metrics.MetricType.HISTOGRAM)));

    @Test
    void exposesTheDocumentedMetricsWithTheirTypes() throws Exception {
        try (Server server = Loomframe.start(ServerConfig.builder().port(0).build());
             MetricsEndpoint metrics = MetricsEndpoint.start(server, InetAddress.getLoopbackAddress(), 0)) {
            var types = new TreeMap<String, Metrics.MetricType>();
            Scrape.of(metrics.metricsUrl()).families.forEach((name, f) -> {
                if (name.startsWith("loomframe_")) types.put(name, f.getType());
            });
            assertEquals(LOOMFRAME_METRICS, types);
        }
    }

    /**
     * {@code promtool check metrics} parses the text with Prometheus' own parser and lints it (names,
     * suffixes, help). It comes with Debian's {@code prometheus} package; {@code .ci/run} unpacks it
     * and sets {@code PROMTOOL}. Elsewhere the test is skipped, saying so.
     */
    @Test
    void textExpositionPassesPromtool() throws Exception {
        String promtool = promtool();
        assumeTrue(promtool != null, "promtool not found (set PROMTOOL, or put Debian's prometheus package's promtool on the PATH)");
        try (Server server = Loomframe.start(ServerConfig.builder().port(0).build());
             MetricsEndpoint metrics = MetricsEndpoint.start(server, InetAddress.getLoopbackAddress(), 0)) {
            try (var wire = new TestWire(server.port(), FrameFormat.DEFAULT)) {
                wire.write(FrameFormat.DEFAULT.encode(new byte[300]));
                wire.readFrame();
            }
            var response = Scrape.get(metrics.metricsUrl());
            String text = response.body();
            assertTrue(response.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"),
                    "Prometheus text format by default: " + response.headers().map());
            assertTrue(text.contains("# TYPE loomframe_frame_size_bytes histogram"), text);

            Path file = Files.createTempFile("loomframe-metrics", ".txt");
            try {
                Files.writeString(file, text, StandardCharsets.UTF_8);
                Process p = new ProcessBuilder(promtool, "check", "metrics").redirectInput(file.toFile()).redirectErrorStream(true).start();
                assertTrue(p.waitFor(30, TimeUnit.SECONDS), "promtool finished");
                String said = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertEquals(0, p.exitValue(), "promtool check metrics:\n" + said);
                assertEquals("", said.strip(), "no lint problems");
            } finally {
                Files.deleteIfExists(file);
            }
        }
    }

    private static String promtool() {
        String env = System.getenv("PROMTOOL");
        if (env != null && !env.isBlank()) return env;            // set but wrong: the test fails, saying so
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path p = Path.of(dir, "promtool");
            if (Files.isExecutable(p)) return p.toString();
        }
        return null;
    }
}
