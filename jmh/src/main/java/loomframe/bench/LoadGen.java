package loomframe.bench;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Runs the native load generator ({@code jmh/native/loadgen.c}, see its header for what it measures)
 * against one server process and returns its JSON result. The generator samples the server's CPU
 * time itself at the first and last instant of the measured window ({@code --server-pid}), so the
 * CPU per frame covers exactly the frames counted.
 *
 * <p>With {@link Load#withTls} it speaks TLS (OpenSSL, verifying the server against the given CA);
 * with {@link Load#handshakes} each connection cycles connect, handshake, one echo, close, and a
 * "frame" is a whole connection. TLS needs a generator built with OpenSSL: {@link #requireTls}.
 */
final class LoadGen {
    private LoadGen() {}

    /**
     * One load: C connections of S-byte frames, P in flight each (or an open loop at {@code rate}),
     * over TLS when {@code tlsCa} is given (the CA to verify the server with), and with
     * {@code handshakes} a new connection for every frame.
     */
    record Load(int connections, long size, int pipeline, double rate, double warmupSeconds, double durationSeconds,
                Path tlsCa, boolean handshakes) {
        static Load closed(int connections, long size, int pipeline, double warmup, double duration) {
            return new Load(connections, size, pipeline, 0, warmup, duration, null, false);
        }

        Load atRate(double framesPerSecond) {
            return new Load(connections, size, 1, framesPerSecond, warmupSeconds, durationSeconds, tlsCa, handshakes);
        }

        /** Over TLS, trusting {@code ca}; null: plaintext. */
        Load withTls(Path ca) {
            return new Load(connections, size, pipeline, rate, warmupSeconds, durationSeconds, ca, handshakes);
        }

        /** Each of the connections cycles connect, (TLS handshake,) one echo, close. */
        Load cyclingConnections() {
            return new Load(connections, size, 1, 0, warmupSeconds, durationSeconds, tlsCa, true);
        }
    }

    /**
     * The TLS library the generator was built with ({@code OpenSSL 3.0.19 ...}); an
     * {@link IllegalStateException} that says what to install when it was built without one.
     */
    static String requireTls() throws IOException {
        Process p = new ProcessBuilder(Harness.nativeTools().resolve("loadgen").toString(), "--version").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        try {
            p.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        String tls = out.startsWith("loadgen tls=") ? out.substring("loadgen tls=".length()) : "";
        if (tls.isEmpty() || tls.startsWith("none")) {
            throw new IllegalStateException("the TLS benchmark needs jmh/target/loadgen built with OpenSSL, and this one is not ("
                    + out + "); install libssl-dev (apt-get install libssl-dev): jmh/native/build.sh then rebuilds it with TLS");
        }
        return tls;
    }

    /** Runs it; a result with {@code "error"} (lost, corrupt or refused frames) is returned too, not thrown. */
    static JsonObject run(Load load, int port, long serverPid, long backendPid, Path stderrLog) throws IOException {
        List<String> c = new ArrayList<>(List.of(Harness.nativeTools().resolve("loadgen").toString(),
                "--port", String.valueOf(port),
                "--connections", String.valueOf(load.connections()),
                "--size", String.valueOf(load.size()),
                "--pipeline", String.valueOf(load.pipeline()),
                "--warmup", String.valueOf(load.warmupSeconds()),
                "--duration", String.valueOf(load.durationSeconds()),
                "--server-pid", String.valueOf(serverPid)));
        if (load.rate() > 0) c.addAll(List.of("--rate", String.format(Locale.ROOT, "%.1f", load.rate())));
        if (backendPid > 0) c.addAll(List.of("--backend-pid", String.valueOf(backendPid)));
        if (load.tlsCa() != null) c.addAll(List.of("--tls-ca", load.tlsCa().toString(), "--tls-server-name", "localhost"));
        if (load.handshakes()) c.add("--handshakes");
        Process p = new ProcessBuilder(c).redirectError(ProcessBuilder.Redirect.appendTo(stderrLog.toFile())).start();
        p.getOutputStream().close();
        // Generous: connecting 10,000 sockets, the window, the drain, and a server that stops answering.
        long limit = (long) (load.warmupSeconds() + load.durationSeconds()) + 120;
        byte[] out;
        try {
            out = p.getInputStream().readAllBytes();
            if (!p.waitFor(limit, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("loadgen did not finish within " + limit + " s");
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        String json = new String(out, StandardCharsets.UTF_8).trim();
        if (json.isEmpty()) throw new IOException("loadgen printed no result (exit " + p.exitValue() + "; see " + stderrLog + ")");
        return JsonParser.parseString(json).getAsJsonObject();
    }
}
