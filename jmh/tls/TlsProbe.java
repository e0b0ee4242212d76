/*
 * The two TLS figures `loomframe load` cannot give: handshakes per second, and what an idle TLS
 * connection costs the server next to a plaintext one. One source file, run with the built jar on
 * the class path by jmh/tls-bench.sh (which also runs the echo rounds):
 *
 *   java -cp target/loomframe.jar jmh/tls/TlsProbe.java handshakes --port P --ca cert.pem --threads 4 --seconds 5
 *       connect, handshake, one 1 KiB echo, close — in a loop on T threads; prints one JSON object.
 *       The server runs in its own JVM (loomframe serve); client and server share the 2 cores, so
 *       the figure is a comparison between the implementations, not a capacity.
 *   java -cp target/loomframe.jar jmh/tls/TlsProbe.java idle --impl async [--tls] --connections 2000
 *       starts the server in a child JVM (-Xms=-Xmx, heap pre-touched, so RSS growth is memory
 *       outside the heap), opens N connections that each do one 1 KiB echo and stay open, and
 *       reads the child's heap after GC and its VmRSS before and after; prints one JSON object with
 *       heap, off-heap and resident bytes per connection (the method of IdleConnections, with TLS).
 */
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import loomframe.Loomframe;
import loomframe.client.FrameClient;
import loomframe.frame.FrameFormat;
import loomframe.server.Impl;
import loomframe.server.Server;
import loomframe.server.ServerConfig;
import loomframe.server.ServerTls;
import loomframe.tls.ClientTls;
import loomframe.tls.TlsFiles;

public class TlsProbe {
    public static void main(String[] args) throws Exception {
        var a = new Args(args);
        switch (args[0]) {
            case "handshakes" -> handshakes(a);
            case "idle" -> idle(a);
            case "idle-server" -> idleServer(a);
            default -> throw new IllegalArgumentException("handshakes | idle, got " + args[0]);
        }
    }

    static ClientTls client(Args a) {
        return new ClientTls(TlsFiles.clientContext(Path.of(a.get("--ca", null)), null, null, false), "127.0.0.1", true);
    }

    static void handshakes(Args a) throws Exception {
        int port = Integer.parseInt(a.get("--port", null));
        int threads = Integer.parseInt(a.get("--threads", "4"));
        double seconds = Double.parseDouble(a.get("--seconds", "5"));
        ClientTls tls = client(a);
        byte[] frame = new byte[1024];
        var done = new AtomicLong();
        var failed = new AtomicLong();
        long warmUntil = System.nanoTime() + 1_000_000_000L;
        long until = warmUntil + (long) (seconds * 1e9);
        try (var pool = Executors.newFixedThreadPool(threads)) {
            for (int t = 0; t < threads; t++) {
                pool.submit(() -> {
                    while (System.nanoTime() < until) {
                        try (var c = FrameClient.connect("127.0.0.1", port, FrameFormat.DEFAULT, Duration.ofSeconds(10), tls)) {
                            c.send(frame);
                            if (c.receive() == null) throw new IllegalStateException("no echo");
                            if (System.nanoTime() > warmUntil) done.incrementAndGet();
                        } catch (Exception e) {
                            failed.incrementAndGet();
                        }
                    }
                    return null;
                });
            }
        }
        System.out.printf(Locale.ROOT, "{\"threads\":%d,\"seconds\":%.1f,\"handshakes\":%d,\"handshakes_per_s\":%.1f,\"failed\":%d}%n",
                threads, seconds, done.get(), done.get() / seconds, failed.get());
    }

    /** The parent: a server in a child JVM, N connections from here, the child's memory before and after. */
    static void idle(Args a) throws Exception {
        String impl = a.get("--impl", "async");
        boolean tls = a.has("--tls");
        int n = Integer.parseInt(a.get("--connections", "2000"));
        String heap = a.get("--heap", "512m");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "-Xms" + heap, "-Xmx" + heap, "-XX:+AlwaysPreTouch",
                "-cp", System.getProperty("java.class.path"), "jmh/tls/TlsProbe.java", "idle-server", "--impl", impl));
        if (tls) cmd.addAll(List.of("--cert", a.get("--cert", null), "--key", a.get("--key", null)));
        Process child = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        var in = new BufferedReader(new InputStreamReader(child.getInputStream()));
        var out = new PrintWriter(child.getOutputStream(), true);
        int port = Integer.parseInt(in.readLine().trim());
        ClientTls clientTls = tls ? client(a) : null;
        byte[] frame = new byte[1024];
        // Warm-up: accept paths and the handshake compiled before the baseline.
        for (int i = 0; i < Math.min(n, 500); i++) {
            try (var c = FrameClient.connect("127.0.0.1", port, FrameFormat.DEFAULT, Duration.ofSeconds(10), clientTls)) {
                c.send(frame);
                c.receive();
            }
        }
        Thread.sleep(500);
        out.println("measure");
        String before = in.readLine();
        List<FrameClient> open = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            var c = FrameClient.connect("127.0.0.1", port, FrameFormat.DEFAULT, Duration.ofSeconds(10), clientTls);
            c.send(frame);
            c.receive();
            open.add(c);
        }
        Thread.sleep(1000);
        out.println("measure");
        String after = in.readLine();
        for (FrameClient c : open) c.close();
        out.println("quit");
        child.waitFor(30, TimeUnit.SECONDS);
        long[] b = parse(before), f = parse(after);
        double heapPer = (f[0] - b[0]) / (double) n, offPer = (f[1] - b[1]) / (double) n;
        System.out.printf(Locale.ROOT, "{\"impl\":\"%s\",\"tls\":%b,\"connections\":%d,\"heap_per_connection\":%.1f,"
                        + "\"offheap_per_connection\":%.1f,\"resident_per_connection\":%.1f,\"heap_before\":%d,\"heap_after\":%d,"
                        + "\"rss_before\":%d,\"rss_after\":%d}%n",
                impl, tls, n, heapPer, offPer, heapPer + offPer, b[0], f[0], b[1], f[1]);
    }

    static long[] parse(String line) {
        String[] p = line.trim().split(" ");
        return new long[] {Long.parseLong(p[0]), Long.parseLong(p[1])};
    }

    /** The child: serves, and answers "measure" with "heapUsedAfterGc rssBytes". */
    static void idleServer(Args a) throws Exception {
        var b = ServerConfig.builder().port(0).impl(Impl.valueOf(a.get("--impl", "async").toUpperCase(Locale.ROOT)))
                .idleTimeout(Duration.ZERO);
        if (a.has("--cert")) {
            b.tls(ServerTls.of(TlsFiles.serverContext(Path.of(a.get("--cert", null)), Path.of(a.get("--key", null)), null),
                    ServerTls.ClientAuth.NONE));
        }
        try (Server server = Loomframe.start(b.build())) {
            System.out.println(server.port());
            var in = new BufferedReader(new InputStreamReader(System.in));
            String line;
            while ((line = in.readLine()) != null && !line.equals("quit")) {
                for (int i = 0; i < 3; i++) {
                    System.gc();
                    Thread.sleep(100);
                }
                long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
                long rss = 0;
                for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
                    if (l.startsWith("VmRSS:")) rss = Long.parseLong(l.replaceAll("\\D", "")) * 1024;
                }
                System.out.println(heap + " " + rss);
            }
        }
    }

    record Args(String[] v) {
        String get(String name, String def) {
            for (int i = 0; i < v.length - 1; i++) if (v[i].equals(name)) return v[i + 1];
            if (def == null) throw new IllegalArgumentException("missing " + name);
            return def;
        }

        boolean has(String name) {
            for (String s : v) if (s.equals(name)) return true;
            return false;
        }
    }
}
