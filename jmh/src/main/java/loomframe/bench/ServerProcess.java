package loomframe.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One server under test in a process of its own, started fresh for each measurement, the way an
 * operator starts it: loomframe through its CLI jar ({@code java -jar target/loomframe.jar serve
 * --impl ... --port 0 --idle-timeout 0}), the Netty reference through its main, the raw echo
 * ceiling as the native binary. Default JVM flags unless the caller passes some; the server never
 * shares a JVM with the client.
 *
 * <p>Readiness is the {@code listening on HOST:PORT} line every one of them prints. Everything the
 * server prints goes to a log file. A server that exits with status 2 before it is ready refused its
 * arguments (a handler or flag this build does not have): {@link Unsupported}, so that a sweep can
 * record "unsupported by this build" for that point and go on. {@link #close} sends SIGTERM (the
 * graceful shutdown every server implements) and waits.
 *
 * <pre>
 *   server       what runs
 *   blocking     loomframe serve --impl blocking     (a virtual thread per connection)
 *   async        loomframe serve --impl async        (NIO.2 completion handlers)
 *   async-exec   loomframe serve --impl async --handler-threads N   (blocking handler offloaded)
 *   platform     loomframe serve --impl platform     (a platform thread per connection)
 *   netty        NettyReferenceServer                (Netty 4.2, epoll)
 *   netty-merge  NettyReferenceServer --cumulator merge  (the stock cumulator: see jmh/results/README.md)
 *   rawecho      jmh/target/rawecho                  (C, epoll, no framing: the harness's ceiling)
 * </pre>
 * Over TLS, loomframe and the Netty reference take the same server flags,
 * {@code --tls-cert FILE --tls-key FILE} ({@link Spec#withServerArgs}; TlsRounds, IdleConnections).
 */
final class ServerProcess implements AutoCloseable {

    static final List<String> ECHO_SERVERS = List.of("blocking", "async", "platform", "netty", "rawecho");

    /** What to start: a server name from the table above, a handler, and extra flags. */
    record Spec(String server, String handler, int executorThreads, List<String> jvmArgs, List<String> serverArgs) {
        static Spec echo(String server) {
            return new Spec(server, "echo", 0, List.of(), List.of());
        }

        /**
         * {@code NAME} or {@code NAME+FLAG+FLAG...}: a server of the table above with JVM flags ({@code -D},
         * {@code -X}) or server flags of its own, for measuring knobs side by side
         * ({@code async+-Dsun.nio.ch.disableSynchronousRead=true}, {@code netty+--threads+1}).
         */
        static Spec parse(String variant) {
            String[] p = variant.split("\\+");
            List<String> jvm = new ArrayList<>(), server = new ArrayList<>();
            for (int i = 1; i < p.length; i++) {
                if (p[i].startsWith("-D") || p[i].startsWith("-X")) jvm.add(p[i]);
                else server.add(p[i]);                       // --threads 1, --io-threads 1: the server's own flags
            }
            return echo(p[0]).withJvmArgs(jvm).withServerArgs(server);
        }

        Spec withHandler(String handler) {
            return new Spec(server, handler, executorThreads, jvmArgs, serverArgs);
        }

        Spec withJvmArgs(List<String> args) {
            return new Spec(server, handler, executorThreads, args, serverArgs);
        }

        Spec withServerArgs(List<String> args) {
            return new Spec(server, handler, executorThreads, jvmArgs, args);
        }

        boolean isLoomframe() {
            return server.equals("blocking") || server.equals("async") || server.equals("platform") || server.equals("async-exec");
        }

        List<String> command() {
            List<String> c = new ArrayList<>();
            if (isLoomframe()) {
                c.add(Harness.java());
                c.addAll(jvmArgs);
                c.addAll(List.of("-jar", Harness.loomframeJar().toString(), "serve",
                        "--impl", server.equals("async-exec") ? "async" : server, "--port", "0", "--idle-timeout", "0"));
                if (!handler.equals("echo")) c.addAll(List.of("--handler", handler));
                if (server.equals("async-exec")) c.addAll(List.of("--handler-threads", String.valueOf(executorThreads)));
            } else if (server.equals("netty") || server.equals("netty-merge")) {
                c.add(Harness.java());
                c.add("--enable-native-access=ALL-UNNAMED");   // Netty's epoll transport is JNI: no warning
                c.addAll(jvmArgs);
                c.addAll(List.of("-cp", Harness.benchmarkJar().toString(), NettyReferenceServer.class.getName(), "--port", "0"));
                if (!handler.equals("echo")) c.addAll(List.of("--handler", handler));
                if (server.equals("netty-merge")) c.addAll(List.of("--cumulator", "merge"));   // stock decoder, for the finding
            } else if (server.equals("rawecho")) {
                if (!handler.equals("echo")) return null;      // it only echoes
                c.addAll(List.of(Harness.nativeTools().resolve("rawecho").toString(), "--port", "0"));
            } else {
                throw new IllegalArgumentException("server must be blocking, async, async-exec, platform, netty, netty-merge or rawecho, got " + server);
            }
            c.addAll(serverArgs);
            return c;
        }

        String label() {
            return server + (server.equals("async-exec") ? "(" + executorThreads + ")" : "") + " " + handler;
        }
    }

    /** The server refused its arguments: this build lacks a handler or flag. */
    static final class Unsupported extends Exception {
        Unsupported(String message) {
            super(message);
        }
    }

    private static final Pattern LISTENING = Pattern.compile("^listening on ([^ ]+):(\\d+)(.*)$");
    private static final Pattern METRICS = Pattern.compile("^metrics on (http://[^ ,]+)");

    private final Process process;
    private final int port;
    private final String readyLine;
    private final Spec spec;
    private final CompletableFuture<String> metricsUrl;

    private ServerProcess(Spec spec, Process process, int port, String readyLine, CompletableFuture<String> metricsUrl) {
        this.spec = spec;
        this.process = process;
        this.port = port;
        this.readyLine = readyLine;
        this.metricsUrl = metricsUrl;
    }

    /** Starts the server and waits (60 s at most) until it is accepting. Its output goes to {@code log}. */
    static ServerProcess start(Spec spec, Path log) throws IOException, Unsupported {
        List<String> command = spec.command();
        if (command == null) throw new Unsupported(spec.server() + " has no handler " + spec.handler());
        if (log.getParent() != null) Files.createDirectories(log.getParent());
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getOutputStream().close();
        PrintWriter out = new PrintWriter(Files.newBufferedWriter(log, StandardCharsets.UTF_8), true);
        out.println("$ " + String.join(" ", command));
        CompletableFuture<Matcher> ready = new CompletableFuture<>();
        CompletableFuture<String> metrics = new CompletableFuture<>();
        Deque<String> early = new ArrayDeque<>();
        Thread pump = new Thread(() -> {
            try (var in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    out.println(line);
                    Matcher m = LISTENING.matcher(line);
                    if (!ready.isDone() && m.matches()) ready.complete(m);
                    Matcher mm = METRICS.matcher(line);
                    if (mm.find()) metrics.complete(mm.group(1));
                    if (!ready.isDone()) {
                        synchronized (early) {
                            early.addLast(line);
                            if (early.size() > 20) early.removeFirst();
                        }
                    }
                }
            } catch (IOException ignored) {
                // the process ended
            } finally {
                out.close();
                ready.completeExceptionally(new IOException("exited before it was ready"));
                metrics.complete(null);
            }
        }, "server-output");
        pump.setDaemon(true);
        pump.start();
        try {
            Matcher m = ready.get(60, TimeUnit.SECONDS);
            return new ServerProcess(spec, p, Integer.parseInt(m.group(2)), m.group(0), metrics);
        } catch (ExecutionException | TimeoutException e) {
            p.destroyForcibly();
            String said;
            synchronized (early) {
                said = String.join(" | ", early);
            }
            try {
                p.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
            }
            if (!p.isAlive() && p.exitValue() == 2) throw new Unsupported(said.isBlank() ? "exit status 2" : said);
            throw new IOException(spec.label() + ": not ready (" + (p.isAlive() ? "no readiness line in 60 s" : "exit " + p.exitValue())
                    + "): " + said + " (log: " + log + ")");
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    int port() {
        return port;
    }

    long pid() {
        return process.pid();
    }

    String readyLine() {
        return readyLine;
    }

    /** The server's /metrics address, if it was started with --metrics (waits up to 10 s for its line). */
    String metricsUrl() {
        if (!spec.serverArgs().contains("--metrics")) return null;
        try {
            return metricsUrl.get(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } catch (ExecutionException | TimeoutException e) {
            return null;
        }
    }

    Spec spec() {
        return spec;
    }

    /** RSS of the process and its children, from /proc/PID/smaps_rollup (bytes). */
    long treeRssBytes() {
        long total = rollupRss(process.pid());
        for (ProcessHandle child : process.descendants().toList()) total += rollupRss(child.pid());
        return total;
    }

    private static long rollupRss(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/smaps_rollup"))) {
                if (line.startsWith("Rss:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
            return 0;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read /proc/" + pid + "/smaps_rollup", e);
        }
    }

    /** Threads of the server process, from /proc/PID/status. */
    int threads() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + process.pid() + "/status"))) {
                if (line.startsWith("Threads:")) return Integer.parseInt(line.replaceAll("[^0-9]", ""));
            }
            return -1;
        } catch (IOException e) {
            return -1;
        }
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** SIGTERM, then up to 30 s for a graceful stop (10,000 platform threads take a while), then SIGKILL. */
    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
