package loomframe.metrics;

import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.Collector;
import io.prometheus.metrics.model.registry.MetricType;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.util.Set;
import java.util.function.LongSupplier;
import loomframe.server.CloseReason;
import loomframe.server.Server;
import loomframe.server.ServerStats;

/**
 * One server's {@link ServerStats} as Prometheus metrics, every one labelled {@code impl}:
 *
 * <pre>
 *   loomframe_connections_opened_total            counter    connections accepted and served
 *   loomframe_connections_open                    gauge      open now
 *   loomframe_connections_closed_total{reason}    counter    closed, by CloseReason label (eof, idle, too-large, ...)
 *   loomframe_connections_rejected_total          counter    closed at once: --max-connections were open
 *   loomframe_connections_waiting_for_budget      gauge      stopped reading until --max-buffered has room
 *   loomframe_frames_received_total               counter    complete frames received
 *   loomframe_frames_sent_total                   counter    reply frames written in full
 *   loomframe_bytes_received_total                counter    bytes read, length fields included
 *   loomframe_bytes_sent_total                    counter    bytes written
 *   loomframe_buffered_bytes                      gauge      bytes held for frames now
 *   loomframe_buffered_bytes_max                  gauge      --max-buffered
 *   loomframe_frame_size_bytes                    histogram  payload sizes, power-of-two buckets up to --max-frame
 * </pre>
 *
 * <p>Nothing here runs per frame. The servers count into {@code LongAdder}s as they always do;
 * these callbacks read them when Prometheus scrapes, so metrics on or off costs the hot path the
 * same (measured in the README's metrics section).
 */
public final class ServerMetrics {
    static final String PREFIX = "loomframe_";

    private ServerMetrics() {}

    /** Registers {@code server}'s metrics in {@code registry}. */
    public static void register(PrometheusRegistry registry, Server server) {
        ServerStats s = server.stats();
        String impl = server.config().impl().cliName();

        counter(registry, "connections_opened_total", "Connections accepted and served (rejected ones not included).", impl, s::connections);
        counter(registry, "connections_rejected_total", "Connections closed at once because --max-connections were open.", impl, s::rejected);
        counter(registry, "frames_received_total", "Complete frames received.", impl, s::frames);
        counter(registry, "frames_sent_total", "Reply frames written out in full.", impl, s::framesSent);
        counter(registry, "bytes_received_total", "Bytes read from clients, length fields included.", impl, s::bytesIn);
        counter(registry, "bytes_sent_total", "Bytes written to clients, length fields included.", impl, s::bytesOut);
        CounterWithCallback.builder()
                .name(PREFIX + "connections_closed_total")
                .help("Connections closed, by reason (the stats line's closed={...}).")
                .labelNames("impl", "reason")
                // Every reason, zeros included: a series that appears only at its first close breaks rate().
                .callback(cb -> {
                    for (CloseReason r : CloseReason.values()) cb.call(s.closed(r), impl, r.label());
                })
                .register(registry);

        gauge(registry, "connections_open", "Connections open now.", impl, s::openConnections);
        gauge(registry, "connections_waiting_for_budget", "Connections that stopped reading until the buffer budget (--max-buffered) has room.",
                impl, s::connectionsWaitingForBudget);
        gauge(registry, "buffered_bytes", "Bytes held for frames now, across all connections.", impl, s::bufferedBytes);
        gauge(registry, "buffered_bytes_max", "The buffer budget, --max-buffered.", impl, s::maxBuffered);

        registry.register(new FrameSizes(s, impl, ServerStats.sizeBucket(server.config().format().maxFrame())));
    }

    private static void counter(PrometheusRegistry registry, String name, String help, String impl,
                                LongSupplier value) {
        CounterWithCallback.builder().name(PREFIX + name).help(help).labelNames("impl")
                .callback(cb -> cb.call(value.getAsLong(), impl))
                .register(registry);
    }

    private static void gauge(PrometheusRegistry registry, String name, String help, String impl,
                              LongSupplier value) {
        GaugeWithCallback.builder().name(PREFIX + name).help(help).labelNames("impl")
                .callback(cb -> cb.call(value.getAsLong(), impl))
                .register(registry);
    }

    /**
     * The frame-size histogram, from the counts the server already keeps in power-of-two buckets
     * ({@link ServerStats#frameSizeCounts()}): bucket {@code b} holds sizes up to {@code 2^b}, so its
     * {@code le} bound is {@code 2^b}. The client library's own {@code Histogram} would observe each
     * frame again on the hot path; a collector that copies the counts at scrape time costs nothing per frame.
     * Buckets stop at the one that holds {@code --max-frame}: no larger frame is ever accepted.
     */
    static final class FrameSizes implements Collector {
        static final String NAME = PREFIX + "frame_size_bytes";
        private final ServerStats stats;
        private final Labels labels;
        private final double[] bounds;

        FrameSizes(ServerStats stats, String impl, int lastBucket) {
            this.stats = stats;
            this.labels = Labels.of("impl", impl);
            this.bounds = new double[lastBucket + 2];
            for (int b = 0; b <= lastBucket; b++) bounds[b] = Math.scalb(1.0, b);
            bounds[lastBucket + 1] = Double.POSITIVE_INFINITY;
        }

        @Override
        public MetricSnapshot collect() {
            long[] all = stats.frameSizeCounts();
            long[] counts = new long[bounds.length];      // per bucket, not cumulative: the writer adds them up
            for (int b = 0; b < all.length; b++) counts[Math.min(b, bounds.length - 1)] += all[b];
            return HistogramSnapshot.builder()
                    .name(NAME)
                    .help("Payload sizes of the frames received, in bytes (power-of-two buckets).")
                    .dataPoint(HistogramSnapshot.HistogramDataPointSnapshot.builder()
                            .labels(labels)
                            .classicHistogramBuckets(ClassicHistogramBuckets.of(bounds, counts))
                            .sum(stats.payloadBytes())
                            .build())
                    .build();
        }

        @Override
        public String getPrometheusName() {
            return NAME;
        }

        @Override
        public MetricType getMetricType() {
            return MetricType.HISTOGRAM;
        }

        @Override
        public Set<String> getLabelNames() {
            return Set.of("impl");
        }
    }
}
