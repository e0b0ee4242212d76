package loomframe.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import loomframe.frame.FrameFormat;
import loomframe.server.FrameHandler;
import loomframe.server.Impl;
import loomframe.server.Server;
import loomframe.server.ServerConfig;

/*
 * What an idle connection costs each server: resident memory, heap and threads per connection.
 *
 * WHAT IS MEASURED
 *   For each server (blocking, async, platform, netty) a CHILD JVM starts it alone on a free port.
 *   This process opens N connections to it (default 10,000), each exchanging one 1 KiB echo frame
 *   (so every connection has been used, and what it keeps is what a server keeps between frames)
 *   and then staying open and silent. Before and after, the child runs System.gc() and reports
 *   heap used and its platform-thread count; this process reads the child's VmRSS from
 *   /proc/PID/status. Per connection:
 *     heap      (heap used after GC, after - before) / N        live objects: buffers, parked
 *                                                              virtual-thread stacks, channels
 *     offHeap   (VmRSS after - before) / N                     platform-thread stacks, direct
 *                                                              buffers, native structures
 *     resident  heap + offHeap                                 the headline figure
 *   The child's heap is fixed and pre-touched (-Xms = -Xmx, -XX:+AlwaysPreTouch), so the heap's pages
 *   are resident before and after and VmRSS growth is exactly the memory outside the heap; live heap
 *   growth is counted separately. Without this, eden pages touched by garbage during the connect
 *   phase would count as per-connection memory. Before the baseline, a warm-up round opens, uses and
 *   closes min(N, 2000) connections, so code the JIT compiles for accepting does not count either.
 *   Kernel socket buffers are not in any process's RSS and are the same for every server.
 *
 * WHY THE FIGURES ARE COMPARABLE
 *   Same child JVM flags, same client, same N, same one frame per connection, one server per child.
 *
 * WHAT 2 CORES DO
 *   Nothing to the memory figures; they only make the connect phase take a few seconds.
 *
 * HOW TO RUN
 *   ./mvnw -B -f jmh/pom.xml package
 *   jmh/bench --main loomframe.bench.IdleConnections                        (10,000 connections, all servers)
 *   jmh/bench --main loomframe.bench.IdleConnections --connections 200 --impls blocking,netty
 *   options: --connections N  --impls LIST  --heap SIZE (child -Xmx/-Xms, default 1g)
 *            --out FILE (JSON, default: print only)
 */
public final class IdleConnections {

    private static final String TAG = "idle-child ";
    private static final int PAYLOAD = 1024;

    record Measure(long rssBytes, long heapUsed, int threads, int open) {}

    record Result(String impl, String server, int connections, Measure before, Measure after) {
        double heapPerConnection() { return (after.heapUsed - before.heapUsed) / (double) connections; }
        double offHeapPerConnection() { return (after.rssBytes - before.rssBytes) / (double) connections; }
        double residentPerConnection() { return heapPerConnection() + offHeapPerConnection(); }

        String json() {
            return String.format(Locale.ROOT,
                    "{\"impl\":\"%s\",\"server\":\"%s\",\"connections\":%d,"
                            + "\"rss_before\":%d,\"rss_after\":%d,\"heap_before\":%d,\"heap_after\":%d,"
                            + "\"threads_before\":%d,\"threads_after\":%d,"
                            + "\"heap_per_connection\":%.1f,\"offheap_per_connection\":%.1f,\"resident_per_connection\":%.1f}",
                    impl, server, connections, before.rssBytes, after.rssBytes, before.heapUsed, after.heapUsed,
                    before.threads, after.threads, heapPerConnection(), offHeapPerConnection(), residentPerConnection());
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("--child")) {
            Child.run(args[1], Integer.parseInt(args[2]));
            return;
        }
        int connections = 10_000;
        List<String> impls = List.of(ServerUnderTest.IMPLS);
        String heap = "1g";
        Path out = null;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String v = i + 1 < args.length ? args[i + 1] : null;
            switch (a) {
                case "--connections" -> { connections = Integer.parseInt(need(a, v)); i++; }
                case "--impls" -> { impls = List.of(need(a, v).split(",")); i++; }
                case "--heap" -> { heap = need(a, v); i++; }
                case "--out" -> { out = Path.of(need(a, v)); i++; }
                case "-h", "--help" -> { System.out.println("usage: IdleConnections [--connections N] [--impls blocking,async,platform,netty] [--heap 1g] [--out FILE]"); return; }
                default -> { System.err.println("IdleConnections: unknown option " + a); System.exit(2); }
            }
        }
        if (connections < 1 || connections > 15_000) {
            System.err.println("IdleConnections: --connections must be 1..15000 (open-file limit), got " + connections);
            System.exit(2);
        }
        List<Result> results = new ArrayList<>();
        for (String impl : impls) {
            Result r = measure(impl.trim(), connections, heap);
            results.add(r);
            System.out.printf(Locale.ROOT, "%-9s %-16s %6d conns  resident %7.2f KiB/conn (heap %7.2f + off-heap %7.2f)  threads %d -> %d  RSS %d -> %d MiB%n",
                    r.impl, r.server, r.connections, r.residentPerConnection() / 1024, r.heapPerConnection() / 1024,
                    r.offHeapPerConnection() / 1024, r.before.threads, r.after.threads,
                    r.before.rssBytes >> 20, r.after.rssBytes >> 20);
        }
        if (out != null) {
            StringBuilder json = new StringBuilder("{\n  \"note\": \"child JVM -Xms" + heap + " -Xmx" + heap
                    + " -XX:+AlwaysPreTouch; one 1 KiB echo per connection, then idle; per-connection figures in bytes\",\n"
                    + "  \"java\": \"" + System.getProperty("java.vm.name") + " " + Runtime.version() + "\",\n"
                    + "  \"cpus\": " + Runtime.getRuntime().availableProcessors() + ",\n  \"results\": [\n");
            for (int i = 0; i < results.size(); i++) {
                json.append("    ").append(results.get(i).json()).append(i + 1 < results.size() ? ",\n" : "\n");
            }
            json.append("  ]\n}\n");
            if (out.getParent() != null) Files.createDirectories(out.getParent());
            Files.writeString(out, json);
            System.out.println("wrote " + out);
        }
    }

    private static String need(String option, String value) {
        if (value == null) {
            System.err.println("IdleConnections: " + option + " needs a value");
            System.exit(2);
        }
        return value;
    }

    private static Result measure(String impl, int n, String heap) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        Process child = new ProcessBuilder(java, "-Xms" + heap, "-Xmx" + heap, "-XX:+AlwaysPreTouch", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), IdleConnections.class.getName(), "--child", impl, String.valueOf(n))
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        try (var toChild = new PrintStream(child.getOutputStream(), true, StandardCharsets.UTF_8);
             var fromChild = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            String[] ready = expect(fromChild, "ready").split(" ");
            int port = Integer.parseInt(ready[1]);
            String server = ready[2].replace('_', ' ');
            long pid = child.pid();

            // Warm-up: accept, echo and close a first batch so that JIT-compiled code is not counted.
            List<SocketChannel> warm = open(port, Math.min(n, 2000));
            closeAll(warm);
            awaitOpen(toChild, fromChild, pid, 0);

            Measure before = awaitOpen(toChild, fromChild, pid, 0);
            List<SocketChannel> idle = open(port, n);
            try {
                Measure after = awaitOpen(toChild, fromChild, pid, n);
                return new Result(impl, server, n, before, after);
            } finally {
                closeAll(idle);
                toChild.println("quit");
            }
        } finally {
            if (!child.waitFor(30, TimeUnit.SECONDS)) {
                child.destroyForcibly();
            }
        }
    }

    /** Opens {@code n} connections; each sends one 1 KiB frame and reads its echo, then stays idle. */
    private static List<SocketChannel> open(int port, int n) throws IOException {
        byte[] frame = FrameFormat.DEFAULT.encode(new byte[PAYLOAD]);
        List<SocketChannel> channels = new ArrayList<>(n);
        ByteBuffer reply = ByteBuffer.allocate(frame.length);
        try {
            for (int i = 0; i < n; i++) {
                SocketChannel ch = SocketChannel.open(new InetSocketAddress("127.0.0.1", port));
                channels.add(ch);
                ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
                ch.write(ByteBuffer.wrap(frame));
                reply.clear();
                while (reply.hasRemaining()) {
                    if (ch.read(reply) < 0) throw new IOException("connection " + i + " closed by the server after " + reply.position() + " reply bytes");
                }
            }
        } catch (IOException | RuntimeException e) {
            closeAll(channels);
            throw e;
        }
        return channels;
    }

    private static void closeAll(List<SocketChannel> channels) {
        for (SocketChannel ch : channels) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // closing: nothing to do
            }
        }
    }

    /** Asks the child to GC and measure until it reports {@code open} connections (30 s at most). */
    private static Measure awaitOpen(PrintStream toChild, BufferedReader fromChild, long pid, int open) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            toChild.println("measure");
            String[] m = expect(fromChild, "measure").split(" ");
            long heapUsed = Long.parseLong(m[1]);
            int threads = Integer.parseInt(m[2]);
            int reported = Integer.parseInt(m[3]);
            if (reported == open) return new Measure(rss(pid), heapUsed, threads, reported);
            if (System.nanoTime() > deadline) {
                throw new IOException("server reports " + reported + " open connections, expected " + open + " (after 30 s)");
            }
            Thread.sleep(200);
        }
    }

    private static String expect(BufferedReader from, String what) throws IOException {
        String line;
        while ((line = from.readLine()) != null) {
            if (line.startsWith(TAG + what)) return line.substring(TAG.length());
        }
        throw new IOException("child JVM ended before reporting '" + what + "'");
    }

    private static long rss(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        throw new IOException("no VmRSS in /proc/" + pid + "/status");
    }

    /** The child JVM: one server, commands on stdin ({@code measure}, {@code quit}), answers on stdout. */
    static final class Child {
        static void run(String impl, int n) throws Exception {
            Runnable close;
            java.util.function.IntSupplier open;
            String describe;
            if (impl.equals("netty")) {
                NettyReferenceServer netty = NettyReferenceServer.start(0);
                close = netty::close;
                open = netty::openConnections;
                describe = "netty_" + netty.transport();
                System.out.println(TAG + "ready " + netty.port() + " " + describe);
            } else {
                Impl which = Impl.valueOf(impl.toUpperCase(Locale.ROOT));
                Server server = Server.start(ServerConfig.builder().impl(which).port(0)
                        .handler(FrameHandler.echo()).format(FrameFormat.DEFAULT)
                        .idleTimeout(Duration.ZERO)                      // idle is the point here
                        .maxConnections(Math.max(ServerConfig.DEFAULT_MAX_CONNECTIONS, n + 100))
                        .build());
                close = server::close;
                open = () -> server.stats().openConnections();
                describe = "loomframe_" + impl;
                System.out.println(TAG + "ready " + server.port() + " " + describe);
            }
            var in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            String line;
            while ((line = in.readLine()) != null) {
                if (line.equals("measure")) {
                    System.gc();
                    Thread.sleep(100);
                    System.gc();
                    MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
                    int threads = ManagementFactory.getThreadMXBean().getThreadCount();
                    System.out.println(TAG + "measure " + heap.getUsed() + " " + threads + " " + open.getAsInt());
                } else if (line.equals("quit")) {
                    break;
                }
            }
            close.run();
            System.exit(0);
        }
    }
}
