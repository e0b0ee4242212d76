package loomframe.server;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import loomframe.Loomframe;

/**
 * A server in its own JVM, for tests that need a small heap or a real signal. Arguments are
 * {@code key=value}: {@code impl}, {@code max-connections}, {@code max-buffered}, {@code idle-timeout-ms},
 * {@code shutdown-timeout-ms}, {@code stats-interval-ms}.
 *
 * <p>Prints {@code listening on 127.0.0.1:PORT ...} once accepting, {@code stats ...} every
 * interval, and on SIGTERM/SIGINT closes the server gracefully, prints {@code final stats ...} and
 * exits 0.
 */
public final class ChildServer {
    private static boolean finished;                       // guarded by ChildServer.class

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = new HashMap<>();
        for (String a : args) {
            int eq = a.indexOf('=');
            opts.put(a.substring(0, eq), a.substring(eq + 1));
        }
        var builder = ServerConfig.builder().port(0)
                .impl(Impl.valueOf(opts.getOrDefault("impl", "blocking").toUpperCase(java.util.Locale.ROOT)));
        if (opts.containsKey("max-connections")) builder.maxConnections(Integer.parseInt(opts.get("max-connections")));
        if (opts.containsKey("max-buffered")) builder.maxBuffered(Long.parseLong(opts.get("max-buffered")));
        if (opts.containsKey("idle-timeout-ms")) builder.idleTimeout(Duration.ofMillis(Long.parseLong(opts.get("idle-timeout-ms"))));
        if (opts.containsKey("shutdown-timeout-ms")) builder.shutdownTimeout(Duration.ofMillis(Long.parseLong(opts.get("shutdown-timeout-ms"))));
        Server server = Loomframe.start(builder.build());
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            synchronized (ChildServer.class) {             // the final line is the last line
                finished = true;
                System.out.println("final stats " + server.stats() + memory());
                System.out.flush();
                Runtime.getRuntime().halt(0);              // a signal would otherwise make the exit status 143
            }
        }));
        System.out.println("listening on 127.0.0.1:" + server.port() + " impl=" + server.config().impl().cliName()
                + " max-buffered=" + server.config().maxBuffered() + " max-heap=" + Runtime.getRuntime().maxMemory());
        System.out.flush();
        long interval = Long.parseLong(opts.getOrDefault("stats-interval-ms", "0"));
        while (true) {
            Thread.sleep(interval > 0 ? interval : 60_000);
            synchronized (ChildServer.class) {
                if (interval > 0 && !finished) {
                    System.out.println("stats " + server.stats() + memory());
                    System.out.flush();
                }
            }
        }
    }

    private static String memory() {
        Runtime r = Runtime.getRuntime();
        return " heap_used=" + (r.totalMemory() - r.freeMemory());
    }
}
