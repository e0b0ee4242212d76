package loomframe.metrics;

import com.sun.net.httpserver.HttpExchange;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import loomframe.server.Server;

/**
 * The operator's HTTP endpoint beside a server ({@code serve --metrics ADDRESS}):
 *
 * <ul>
 *   <li>{@code GET /metrics}: the server's {@link ServerMetrics} and the JVM's own (threads, memory,
 *       GC, ...), written by the Prometheus Java client in whichever format the scraper asks for
 *       (Prometheus text by default, OpenMetrics or protobuf by {@code Accept} header);
 *   <li>{@code GET /health}: {@code 200 ok} while the server is serving, {@code 503 draining} once its
 *       shutdown has begun (or {@link #drain()} was called), for a load balancer's health check.
 * </ul>
 *
 * <p>It runs on the JDK's HTTP server with the client library's small daemon thread pool, apart from
 * the framing server's threads, and keeps answering while the server drains: a balancer must see the
 * 503, not a refused connection, for as long as the process is still finishing its clients.
 */
public final class MetricsEndpoint implements AutoCloseable {
    private final Server server;
    private final HTTPServer http;
    private final InetSocketAddress address;
    private volatile boolean draining;

    private MetricsEndpoint(Server server, InetAddress host, int port) throws IOException {
        this.server = server;
        var registry = new PrometheusRegistry();      // this server's own: several may run in one JVM (tests)
        ServerMetrics.register(registry, server);
        JvmMetrics.builder().register(registry);
        this.http = HTTPServer.builder()
                .inetAddress(host)
                .port(port)
                .registry(registry)
                .registerHealthHandler(false)        // the library's /-/healthy always says yes; ours is /health
                .defaultHandler(this::otherPaths)
                .buildAndStart();
        this.address = new InetSocketAddress(host, http.getPort());
    }

    /**
     * Binds {@code host:port} (port 0: any free one) and starts serving.
     *
     * @throws IOException if it cannot bind (port in use, address not local)
     */
    public static MetricsEndpoint start(Server server, InetAddress host, int port) throws IOException {
        return new MetricsEndpoint(server, host, port);
    }

    /** The bound address, with the real port. */
    public InetSocketAddress address() {
        return address;
    }

    /** {@code http://127.0.0.1:9100/metrics}. */
    public String metricsUrl() {
        return base() + "/metrics";
    }

    /** {@code http://127.0.0.1:9100/health}. */
    public String healthUrl() {
        return base() + "/health";
    }

    private String base() {
        String host = address.getAddress().getHostAddress();
        return "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + address.getPort();
    }

    /**
     * From now on {@code /health} answers 503 although the server still serves: the
     * {@code --drain-delay} before shutdown, during which a balancer takes this server out of rotation.
     */
    public void drain() {
        draining = true;
    }

    /** Whether {@code /health} says {@code ok}: serving, and no drain announced. */
    public boolean healthy() {
        return !draining && server.state() == Server.State.SERVING;
    }

    /** {@code /health}, the index page and 404s: every path but {@code /metrics}. */
    private void otherPaths(HttpExchange exchange) throws IOException {
        try (exchange) {
            String method = exchange.getRequestMethod();
            if (!method.equals("GET") && !method.equals("HEAD")) {
                respond(exchange, 405, "only GET and HEAD\n");
                return;
            }
            switch (exchange.getRequestURI().getPath()) {
                case "/health" -> {
                    boolean ok = healthy();
                    respond(exchange, ok ? 200 : 503, ok ? "ok\n" : "draining\n");
                }
                case "/" -> respond(exchange, 200, "loomframe: /metrics (Prometheus), /health (200 ok, 503 draining)\n");
                default -> respond(exchange, 404, "not found; try /metrics or /health\n");
            }
        }
    }

    private static void respond(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        exchange.getResponseHeaders().set("Cache-Control", "no-store");   // a health answer is for now only
        boolean head = exchange.getRequestMethod().equals("HEAD");
        exchange.sendResponseHeaders(status, head ? -1 : bytes.length);
        if (!head) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    /** Stops answering (at once: scrapes and checks in progress are cut). */
    @Override
    public void close() {
        http.close();
    }
}
