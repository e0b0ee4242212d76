package loomframe.bench;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/*
 * What an idle connection costs each server, measured as shared/MEASURING.md says: memory as an
 * operator sees it (RSS growth of the server's process tree) and live heap, per connection.
 *
 * WHAT IS MEASURED, per server (blocking, async, platform, netty), each in a FRESH PROCESS with
 * default JVM flags (no -Xms, no pre-touch: RSS as an operator sees it, garbage included):
 *   1. warm-up: 200 connections each echo one frame and close, so start-up work (class loading, the
 *      JIT compiling the accept path, first pools) is not billed to connections; then 1 s of quiet
 *   2. before: RSS of the server's process tree (/proc/PID/smaps_rollup, Rss) and its threads
 *   3. N connections (default 10,000) each send one 1 KiB frame and read its echo, then stay open
 *      and idle; 2 s later: RSS and threads again
 *        rss growth per connection = (after - before) / N     heap and off-heap, garbage included
 *   4. live heap: a full GC (jcmd PID GC.run) and the heap in use (jcmd PID GC.heap_info), with
 *      the N connections open; then every connection echoes one more frame (all must answer);
 *      then all close, 2 s, full GC and heap in use again:
 *        live heap per connection = (in use with N - in use after they closed) / N
 *   The two figures answer different questions: RSS growth is what the machine pays (it includes
 *   garbage the GC has not collected yet and heap the JVM keeps committed), live heap is what the
 *   connections themselves keep reachable. Kernel socket buffers are in neither; they are the same
 *   for every server.
 *
 * OVER TLS (--tls; TlsRounds measures both beside each other)
 *   The server gets a fresh certificate (BenchTls) and every connection, warm-up included, does a
 *   full TLS handshake (a JDK SSLSocket on a new SSLContext each: no session is resumed) before its
 *   echo; the figures then include whatever the server keeps per TLS connection.
 *
 * WHY THE FIGURES ARE COMPARABLE
 *   Same client (this JVM, blocking sockets, one at a time), same N, same frames, same flags, a fresh
 *   server per measurement started as users start it (ServerProcess).
 *
 * HOW TO RUN
 *   ./mvnw -B -q package -DskipTests && ./mvnw -B -f jmh/pom.xml package
 *   jmh/bench --main loomframe.bench.IdleConnections                   (10,000 connections, all servers)
 *   jmh/bench --main loomframe.bench.IdleConnections --connections 200 --impls blocking,netty
 *   options: --connections N  --impls LIST  --tls  --out FILE (JSON; default: print only)
 *            --logs DIR (server output, default /tmp/loomframe-bench-logs)
 */
public final class IdleConnections {

    static final List<String> IMPLS = List.of("blocking", "async", "platform", "netty");
    private static final int PAYLOAD = 1024;
    private static final int WARM_UP = 200;
    private static final Pattern HEAP_USED = Pattern.compile("used (\\d+)K");

    public static void main(String[] args) throws Exception {
        int connections = 10_000;
        List<String> impls = IMPLS;
        Path out = null;
        Path logs = Path.of("/tmp/loomframe-bench-logs");
        boolean tls = false;
        Args options = new Args("IdleConnections", "[--connections 10000] [--impls blocking,async,platform,netty] [--tls] [--out FILE] [--logs DIR]", args);
        while (options.next()) {
            switch (options.name()) {
                case "--connections" -> connections = options.integer();
                case "--tls" -> tls = true;
                case "--impls" -> impls = options.list();
                case "--out" -> out = Path.of(options.value());
                case "--logs" -> logs = Path.of(options.value());
                default -> options.unknown();
            }
        }
        if (connections < 1 || connections > 15_000) options.fail("--connections must be 1..15000 (open-file limit), got " + connections);

        JsonObject result = Harness.resultHeader("IdleConnections", args);
        result.addProperty("note", "fresh server process, default JVM flags; warm-up " + WARM_UP + " connections; then "
                + connections + " connections, one " + PAYLOAD + " B echo each, idle 2 s; RSS = /proc/PID/smaps_rollup of the"
                + " process tree (garbage included); live heap = jcmd GC.run + GC.heap_info, with the connections open minus after they closed");
        result.addProperty("connections", connections);
        JsonArray results = new JsonArray();
        result.add("results", results);
        BenchTls certificates = tls ? BenchTls.make() : null;
        for (String impl : impls) {
            JsonObject r = measure(impl, connections, logs, certificates);
            results.add(r);
            System.out.printf(Locale.ROOT, "%-13s %6d conns  RSS growth %6.2f KiB/conn  live heap %6.2f KiB/conn  threads %d -> %d"
                            + "  RSS %d -> %d MiB  second echo %d/%d%n",
                    impl + (tls ? " tls" : ""), connections, r.get("rss_growth_per_connection").getAsDouble() / 1024,
                    r.get("live_heap_per_connection").getAsDouble() / 1024, r.get("threads_before").getAsInt(),
                    r.get("threads_after").getAsInt(), r.get("rss_before").getAsLong() >> 20, r.get("rss_after").getAsLong() >> 20,
                    r.get("second_echo_ok").getAsInt(), connections);
        }
        if (out != null) {
            Harness.writeJson(out, result);
            System.out.println("wrote " + out);
        }
    }

    /** One server, plaintext; with {@code tls}, serving TLS with its certificate and every client connection handshaking. */
    static JsonObject measure(String impl, int n, Path logs, BenchTls tls) throws Exception {
        // loomframe refuses connections above --max-connections (default 10,000): raise it above N.
        var spec = ServerProcess.Spec.echo(impl);
        List<String> serverArgs = new ArrayList<>();
        if (spec.isLoomframe()) serverArgs.addAll(List.of("--max-connections", String.valueOf(n + WARM_UP + 1000)));
        if (tls != null) serverArgs.addAll(tls.serverArgs());
        spec = spec.withServerArgs(serverArgs);
        String log = "idle-" + impl + (tls != null ? "-tls" : "") + "-server.log";
        try (ServerProcess server = ServerProcess.start(spec, logs.resolve(log))) {
            closeAll(open(server.port(), WARM_UP, tls));
            Thread.sleep(1000);
            long rssBefore = server.treeRssBytes();
            int threadsBefore = server.threads();
            List<Connection> idle = open(server.port(), n, tls);
            try {
                Thread.sleep(2000);
                long rssAfter = server.treeRssBytes();
                int threadsAfter = server.threads();
                long heapWith = liveHeap(server.pid());
                int ok = echoAgain(idle);
                closeAll(idle);
                idle = List.of();
                Thread.sleep(2000);
                long heapWithout = liveHeap(server.pid());
                JsonObject r = new JsonObject();
                r.addProperty("impl", impl);
                r.addProperty("tls", tls != null);
                r.addProperty("server", server.readyLine());
                r.addProperty("connections", n);
                r.addProperty("rss_before", rssBefore);
                r.addProperty("rss_after", rssAfter);
                r.addProperty("rss_growth_per_connection", (rssAfter - rssBefore) / (double) n);
                r.addProperty("threads_before", threadsBefore);
                r.addProperty("threads_after", threadsAfter);
                r.addProperty("live_heap_with_connections", heapWith);
                r.addProperty("live_heap_after_close", heapWithout);
                r.addProperty("live_heap_per_connection", (heapWith - heapWithout) / (double) n);
                r.addProperty("second_echo_ok", ok);
                return r;
            } finally {
                closeAll(idle);
            }
        }
    }

    /** Heap in use right after a full GC, in bytes: {@code jcmd PID GC.run}, then {@code jcmd PID GC.heap_info}. */
    static long liveHeap(long pid) throws IOException, InterruptedException {
        Harness.jcmd(pid, "GC.run");
        String info = Harness.jcmd(pid, "GC.heap_info");
        Matcher m = HEAP_USED.matcher(info);
        if (!m.find()) throw new IOException("no 'used NK' in jcmd " + pid + " GC.heap_info: " + info);
        return Long.parseLong(m.group(1)) * 1024;
    }

    /** A client connection that echoes one frame at a time: a plain SocketChannel, or an SSLSocket. */
    private interface Connection extends Closeable {
        void echo(int i) throws IOException;
    }

    /**
     * Opens {@code n} connections (TLS ones handshake first); each sends one 1 KiB frame and reads
     * its echo, then stays idle.
     */
    private static List<Connection> open(int port, int n, BenchTls tls) throws IOException {
        List<Connection> connections = new ArrayList<>(n);
        try {
            for (int i = 0; i < n; i++) {
                Connection c = tls == null ? plain(port) : tls(port, tls.clientContext());
                connections.add(c);
                c.echo(i);
            }
        } catch (IOException | RuntimeException e) {
            closeAll(connections);
            throw e;
        }
        return connections;
    }

    /** A 1 KiB frame in loomframe's default format: 4-byte big-endian length, then the payload. */
    private static final byte[] FRAME = ByteBuffer.allocate(4 + PAYLOAD).putInt(PAYLOAD).array();

    private static Connection plain(int port) throws IOException {
        SocketChannel ch = SocketChannel.open(new InetSocketAddress("127.0.0.1", port));
        ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
        return new Connection() {
            @Override
            public void echo(int i) throws IOException {
                ch.write(ByteBuffer.wrap(FRAME));
                ByteBuffer reply = ByteBuffer.allocate(FRAME.length);
                while (reply.hasRemaining()) {
                    if (ch.read(reply) < 0) throw closedEarly(i, reply.position());
                }
                check(reply.array(), i);
            }

            @Override
            public void close() throws IOException {
                ch.close();
            }
        };
    }

    /** Over a blocking socket TLS is a wrapper: an SSLSocket layered on the connected socket, handshaken at once. */
    private static Connection tls(int port, SSLContext context) throws IOException {
        Socket socket = new Socket();
        try {
            socket.setTcpNoDelay(true);
            socket.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
            socket.setSoTimeout(30_000);
            SSLSocket ssl = (SSLSocket) context.getSocketFactory().createSocket(socket, "localhost", port, true);
            SSLParameters parameters = ssl.getSSLParameters();
            parameters.setEndpointIdentificationAlgorithm("HTTPS");      // the certificate must name localhost
            ssl.setSSLParameters(parameters);
            ssl.startHandshake();
            OutputStream out = ssl.getOutputStream();
            InputStream in = ssl.getInputStream();
            return new Connection() {
                @Override
                public void echo(int i) throws IOException {
                    out.write(FRAME);
                    out.flush();
                    byte[] reply = in.readNBytes(FRAME.length);
                    if (reply.length < FRAME.length) throw closedEarly(i, reply.length);
                    check(reply, i);
                }

                @Override
                public void close() throws IOException {
                    ssl.close();
                }
            };
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    private static IOException closedEarly(int i, int got) {
        return new IOException("connection " + i + " closed by the server after " + got + " reply bytes");
    }

    private static void check(byte[] reply, int i) throws IOException {
        if (!Arrays.equals(reply, FRAME)) throw new IOException("connection " + i + ": the echo differs from the frame");
    }

    /** Every idle connection echoes one more frame; returns how many did. */
    private static int echoAgain(List<Connection> connections) {
        int ok = 0;
        for (int i = 0; i < connections.size(); i++) {
            try {
                connections.get(i).echo(i);
                ok++;
            } catch (IOException e) {
                System.err.println("IdleConnections: " + e.getMessage());
            }
        }
        return ok;
    }

    private static void closeAll(List<Connection> connections) {
        for (Connection c : connections) {
            try {
                c.close();
            } catch (IOException ignored) {
                // closing: nothing to do
            }
        }
    }
}
