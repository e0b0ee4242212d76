package loomframe.metrics;

import io.prometheus.metrics.expositionformats.generated.com_google_protobuf_4_36_2.Metrics;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * One scrape of {@code /metrics}, read by a real parser: the scrape asks for Prometheus' protobuf
 * exposition (as Prometheus itself may) and parses it with the generated classes of Prometheus'
 * {@code metrics.proto} that ship with the client library. The text exposition goes through
 * {@code promtool} in {@link ExpositionTest}.
 */
final class Scrape {
    static final String PROTOBUF = "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited";
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    final Map<String, Metrics.MetricFamily> families = new LinkedHashMap<>();

    static Scrape of(String metricsUrl) throws IOException, InterruptedException {
        var request = HttpRequest.newBuilder(URI.create(metricsUrl)).header("Accept", PROTOBUF).timeout(Duration.ofSeconds(10)).build();
        HttpResponse<InputStream> response = HTTP.send(request, HttpResponse.BodyHandlers.ofInputStream());
        if (response.statusCode() != 200) throw new AssertionError("GET " + metricsUrl + ": " + response.statusCode());
        var scrape = new Scrape();
        try (InputStream in = response.body()) {
            Metrics.MetricFamily f;
            while ((f = Metrics.MetricFamily.parseDelimitedFrom(in)) != null) scrape.families.put(f.getName(), f);
        }
        return scrape;
    }

    /** {@code GET url}: status and body. */
    static HttpResponse<String> get(String url) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    Metrics.MetricFamily family(String name) {
        Metrics.MetricFamily f = families.get(name);
        if (f == null) throw new AssertionError("no metric family " + name + " in " + families.keySet());
        return f;
    }

    /** The value of the counter or gauge {@code name} with exactly these labels ({@code "impl", "async", ...}). */
    double value(String name, String... labels) {
        Map<String, String> want = pairs(labels);
        for (Metrics.Metric m : family(name).getMetricList()) {
            if (!labels(m).equals(want)) continue;
            return m.hasCounter() ? m.getCounter().getValue() : m.getGauge().getValue();
        }
        throw new AssertionError("no " + name + want + " in " + family(name));
    }

    /** The one histogram of {@code name}: cumulative count per upper bound, and sum. */
    Metrics.Histogram histogram(String name, String... labels) {
        Map<String, String> want = pairs(labels);
        for (Metrics.Metric m : family(name).getMetricList()) {
            if (labels(m).equals(want)) return m.getHistogram();
        }
        throw new AssertionError("no " + name + want + " in " + family(name));
    }

    static Map<String, String> labels(Metrics.Metric m) {
        return m.getLabelList().stream().collect(Collectors.toMap(Metrics.LabelPair::getName, Metrics.LabelPair::getValue));
    }

    private static Map<String, String> pairs(String... kv) {
        if (kv.length % 2 != 0) throw new IllegalArgumentException(Arrays.toString(kv));
        var m = new LinkedHashMap<String, String>();
        for (int i = 0; i < kv.length; i += 2) m.put(kv[i], kv[i + 1]);
        return m;
    }
}
