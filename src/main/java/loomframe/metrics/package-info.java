/**
 * Prometheus metrics and the health endpoint for a running server ({@code serve --metrics}).
 *
 * <p>This is the only package that uses the Prometheus Java client: the servers stay on the JDK alone
 * and count into {@link loomframe.server.ServerStats}, which {@link loomframe.metrics.ServerMetrics}
 * reads at scrape time. {@link loomframe.metrics.MetricsEndpoint} serves {@code /metrics} and
 * {@code /health}.
 */
package loomframe.metrics;
