package loomframe.client;

import java.util.List;
import org.HdrHistogram.Histogram;

/**
 * What a {@link LoadGenerator} run measured. Counts cover the measured window (after the warmup);
 * errors cover the whole run.
 *
 * @param options           what was asked for
 * @param measuredNanos     length of the measured window
 * @param frames            echoes received and verified in the measured window
 * @param payloadBytes      payload bytes of those echoes (each travelled both ways)
 * @param latencyNanos      per-frame latency in nanoseconds, from the actual send (closed loop) or
 *                          from the frame's due time (open loop)
 * @param lost              frames sent but never answered: the connection closed, failed, or the
 *                          drain timeout ran out (includes frames in flight on a connection closed
 *                          because of a corrupted reply)
 * @param corrupted         replies that differed from the frame sent (length or bytes)
 * @param failedConnections connections that ended with an error
 * @param errorMessages     the first few errors, for the report
 * @param clientCpuNanos    CPU time of the generator's I/O threads in the measured window; -1 if unknown
 * @param frameCostNote     how {@code clientCpuNanos} was measured
 */
public record LoadResult(
        LoadGenerator.Options options,
        long measuredNanos,
        long frames,
        long payloadBytes,
        Histogram latencyNanos,
        long lost,
        long corrupted,
        long failedConnections,
        List<String> errorMessages,
        long clientCpuNanos,
        String frameCostNote) {

    /** True when every frame sent was answered with an identical frame and no connection failed. */
    public boolean ok() {
        return errors() == 0;
    }

    public long errors() {
        return lost + corrupted + failedConnections;
    }

    public double seconds() {
        return measuredNanos / 1e9;
    }

    public double framesPerSecond() {
        return measuredNanos == 0 ? 0 : frames / seconds();
    }

    /** Echoed payload MiB per second, one way (the same bytes also went the other way). */
    public double mibPerSecond() {
        return measuredNanos == 0 ? 0 : payloadBytes / seconds() / (1024.0 * 1024.0);
    }

    /** Latency at a percentile, in nanoseconds; 0 when no frame was measured. */
    public long latencyAt(double percentile) {
        return latencyNanos.getTotalCount() == 0 ? 0 : latencyNanos.getValueAtPercentile(percentile);
    }

    public long maxLatency() {
        return latencyNanos.getTotalCount() == 0 ? 0 : latencyNanos.getMaxValue();
    }

    /** The generator's own CPU per verified frame, in nanoseconds; -1 if unknown. */
    public double clientCpuNanosPerFrame() {
        return clientCpuNanos < 0 || frames == 0 ? -1 : (double) clientCpuNanos / frames;
    }
}
