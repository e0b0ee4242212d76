package loomframe.metrics;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.prometheus.metrics.expositionformats.generated.com_google_protobuf_4_36_2.Metrics;
import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import loomframe.Loomframe;
import loomframe.TestWire;
import loomframe.frame.FrameFormat;
import loomframe.server.CloseReason;
import loomframe.server.FrameHandler;
import loomframe.server.Impl;
import loomframe.server.Server;
import loomframe.server.ServerConfig;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code /metrics} and {@code /health} over HTTP against a real server of each implementation: every
 * counter is checked against the traffic the test sent, one close reason at a time, and the gauges
 * return to 0 once everything is closed. The scrape is parsed by Prometheus' protobuf classes ({@link Scrape}).
 */
@Timeout(60)
class ServerMetricsTest {
    private static final FrameFormat FORMAT = FrameFormat.DEFAULT.withMaxFrame(1 << 20);   // 1 MiB: buckets up to le=2^20
    /** Echoes, except a frame saying "boom", on which it throws: the connection closes with handler-error. */
    private static final FrameHandler ECHO_OR_BOOM = (payload, replies) -> {
        if (payload.size() == 4 && payload.toString(UTF_8).equals("boom")) throw new IllegalStateException("boom");
        replies.reply(payload);
    };

    @ParameterizedTest
    @EnumSource(Impl.class)
    void countsTheTrafficSentAndEveryCloseReasonProvoked(Impl impl) throws Exception {
        ServerConfig config = ServerConfig.builder().port(0).impl(impl).format(FORMAT).handler(ECHO_OR_BOOM)
                .idleTimeout(Duration.ofMillis(500)).build();
        try (Server server = Loomframe.start(config);
             MetricsEndpoint metrics = MetricsEndpoint.start(server, InetAddress.getLoopbackAddress(), 0)) {
            int port = server.port();
            long bytesIn = 0, bytesOut = 0;
            var expectedClosed = new TreeMap<String, Double>();

            // eof: frames of sizes that land in different buckets, echoed, then a clean close.
            int[] sizes = {0, 1, 5, 100, 3000, 70_000};
            try (var wire = new TestWire(port, FORMAT)) {
                for (int size : sizes) {
                    byte[] payload = new byte[size];
                    wire.write(FORMAT.encode(payload));
                    assertArrayEquals(payload, wire.readFrame());
                    bytesIn += 4 + size;
                    bytesOut += 4 + size;
                }
            }
            awaitClosed(server, CloseReason.EOF, expectedClosed);

            // too-large: a length above --max-frame; the server reads the 4 bytes and closes.
            try (var wire = new TestWire(port, FORMAT)) {
                wire.write(new byte[] {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF});
                bytesIn += 4;
                assertTrue(wire.closedByServer());
            }
            awaitClosed(server, CloseReason.TOO_LARGE, expectedClosed);

            // truncated: end of stream 3 bytes into a 16-byte body.
            try (var wire = new TestWire(port, FORMAT)) {
                wire.write(new byte[] {0, 0, 0, 16, 'a', 'b', 'c'});
                bytesIn += 7;
            }
            awaitClosed(server, CloseReason.TRUNCATED, expectedClosed);

            // handler-error: the handler throws on "boom" (the frame arrived: it is counted).
            try (var wire = new TestWire(port, FORMAT)) {
                wire.write(FORMAT.encode("boom".getBytes(UTF_8)));
                bytesIn += 8;
                assertTrue(wire.closedByServer());
            }
            awaitClosed(server, CloseReason.HANDLER_ERROR, expectedClosed);

            // idle: nothing within --idle-timeout.
            try (var wire = new TestWire(port, FORMAT)) {
                assertTrue(wire.closedByServer());
            }
            awaitClosed(server, CloseReason.IDLE, expectedClosed);

            // reset: an abortive close (RST) once the server has the connection.
            try (var wire = new TestWire(port, FORMAT)) {
                awaitCondition("the connection is open", () -> server.stats().openConnections() == 1);
                wire.socket.setSoLinger(true, 0);
            }
            awaitClosed(server, CloseReason.RESET, expectedClosed);
            awaitCondition("nothing buffered", () -> server.stats().bufferedBytes() == 0 && server.stats().openConnections() == 0);

            Scrape s = Scrape.of(metrics.metricsUrl());
            String[] i = {"impl", impl.cliName()};
            assertEquals(6, s.value("loomframe_connections_opened_total", i));
            assertEquals(sizes.length + 1, s.value("loomframe_frames_received_total", i));    // the "boom" frame too
            assertEquals(sizes.length, s.value("loomframe_frames_sent_total", i));
            assertEquals(bytesIn, s.value("loomframe_bytes_received_total", i));
            assertEquals(bytesOut, s.value("loomframe_bytes_sent_total", i));
            assertEquals(0, s.value("loomframe_connections_rejected_total", i));
            assertEquals(expectedClosed, closedByReason(s, impl));
            assertEquals(0, s.value("loomframe_connections_open", i));
            assertEquals(0, s.value("loomframe_buffered_bytes", i));
            assertEquals(0, s.value("loomframe_connections_waiting_for_budget", i));
            assertEquals(server.stats().maxBuffered(), s.value("loomframe_buffered_bytes_max", i));

            Metrics.Histogram h = s.histogram("loomframe_frame_size_bytes", i);
            assertEquals(sizes.length + 1, h.getSampleCount());
            assertEquals(0 + 1 + 5 + 100 + 3000 + 70_000 + 4, h.getSampleSum());
            // Cumulative counts at a few bounds: le=1 holds 0 and 1 bytes, le=4 adds "boom", le=8 the 5, ...
            Map<Double, Long> cumulative = new TreeMap<>();
            for (Metrics.Bucket b : h.getBucketList()) cumulative.put(b.getUpperBound(), b.getCumulativeCount());
            assertEquals(2L, cumulative.get(1.0));
            assertEquals(3L, cumulative.get(4.0));
            assertEquals(4L, cumulative.get(8.0));
            assertEquals(5L, cumulative.get(128.0));
            assertEquals(6L, cumulative.get(4096.0));
            assertEquals(7L, cumulative.get(131072.0));
            assertEquals(Math.scalb(1.0, 20), cumulative.keySet().stream().mapToDouble(d -> d).filter(Double::isFinite).max().orElseThrow(),
                    "buckets stop at the one holding --max-frame");

            assertTrue(s.families.keySet().stream().anyMatch(n -> n.startsWith("jvm_threads")), "JVM metrics: " + s.families.keySet());
            assertTrue(s.families.keySet().stream().anyMatch(n -> n.startsWith("jvm_memory")), "JVM metrics");
            assertTrue(s.families.keySet().stream().anyMatch(n -> n.startsWith("jvm_gc")), "JVM metrics");
        }
    }

    @ParameterizedTest
    @EnumSource(Impl.class)
    void healthIsOkWhileServingAnd503FromTheStartOfShutdownUntilTheEnd(Impl impl) throws Exception {
        ServerConfig config = ServerConfig.builder().port(0).impl(impl).format(FORMAT).maxConnections(3)
                .shutdownTimeout(Duration.ofSeconds(2)).build();
        Server server = Loomframe.start(config);
        try (MetricsEndpoint metrics = MetricsEndpoint.start(server, InetAddress.getLoopbackAddress(), 0);
             var midFrame = new TestWire(server.port(), FORMAT);
             var betweenFrames = new TestWire(server.port(), FORMAT);
             var neverFinishes = new TestWire(server.port(), FORMAT)) {
            assertHealth(metrics, 200, "ok");
            midFrame.write(new byte[] {0, 0, 0, 5, 'h', 'e'});
            neverFinishes.write(new byte[] {0, 0, 0, 5, 'h'});
            betweenFrames.write(FORMAT.encode("hi".getBytes(UTF_8)));
            assertArrayEquals("hi".getBytes(UTF_8), betweenFrames.readFrame());
            awaitCondition("3 connections open", () -> server.stats().openConnections() == 3);
            // Until the server has read them, the two partial frames are bytes in the kernel, and the
            // drain would rightly take those connections for idle ones between frames.
            awaitCondition("the server has read all 17 bytes sent", () -> server.stats().bytesIn() == 6 + 5 + 6);
            try (var overLimit = new TestWire(server.port(), FORMAT)) {
                assertTrue(overLimit.closedByServer(), "a 4th connection over --max-connections 3 is rejected");
            }

            CompletableFuture<Void> closing = CompletableFuture.runAsync(server::close);
            awaitCondition("/health says draining", () -> status(metrics) == 503);
            assertHealth(metrics, 503, "draining");
            midFrame.write(new byte[] {'l', 'l', 'o'});                    // the frame in progress is finished and answered
            assertArrayEquals("hello".getBytes(UTF_8), midFrame.readFrame());
            assertTrue(midFrame.closedByServer());
            closing.get();                                                // neverFinishes is forced at --shutdown-timeout
            assertEquals(Server.State.TERMINATED, server.state());
            assertHealth(metrics, 503, "draining");

            Scrape s = Scrape.of(metrics.metricsUrl());
            String[] i = {"impl", impl.cliName()};
            assertEquals(Map.of("shutdown", 2.0, "forced", 1.0), closedByReason(s, impl));
            assertEquals(1, s.value("loomframe_connections_rejected_total", i));
            assertEquals(3, s.value("loomframe_connections_opened_total", i));
            assertEquals(0, s.value("loomframe_connections_open", i));
            assertEquals(0, s.value("loomframe_buffered_bytes", i));
            assertEquals(2, s.value("loomframe_frames_sent_total", i));
        } finally {
            server.close();
        }
    }

    /** The non-zero {@code loomframe_connections_closed_total} series by reason; every reason has a series, zeros included. */
    private static Map<String, Double> closedByReason(Scrape s, Impl impl) {
        var byReason = new TreeMap<String, Double>();
        List<String> reasons = new ArrayList<>();
        for (Metrics.Metric m : s.family("loomframe_connections_closed_total").getMetricList()) {
            Map<String, String> labels = Scrape.labels(m);
            assertEquals(impl.cliName(), labels.get("impl"));
            reasons.add(labels.get("reason"));
            if (m.getCounter().getValue() != 0) byReason.put(labels.get("reason"), m.getCounter().getValue());
        }
        assertEquals(CloseReason.values().length, reasons.size(), "one series per reason: " + reasons);
        return byReason;
    }

    private static void awaitClosed(Server server, CloseReason reason, Map<String, Double> expected) throws InterruptedException {
        double n = expected.merge(reason.label(), 1.0, Double::sum);
        awaitCondition(reason.label() + " close counted", () -> server.stats().closed(reason) == n);
    }

    private static int status(MetricsEndpoint metrics) {
        try {
            return Scrape.get(metrics.healthUrl()).statusCode();
        } catch (IOException | InterruptedException e) {
            return -1;
        }
    }

    private static void assertHealth(MetricsEndpoint metrics, int status, String body) throws Exception {
        var response = Scrape.get(metrics.healthUrl());
        assertEquals(status, response.statusCode());
        assertEquals(body + "\n", response.body());
    }

    static void awaitCondition(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) throw new AssertionError("timed out waiting for: " + what);
            Thread.sleep(5);
        }
    }
}
