package loomframe.bench;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/*
 * The regime that decides between the styles (issue 13): handlers that wait, from 1 to 10,000
 * connections.
 *
 * WHAT IS MEASURED
 *   For every point (connections x handler x server) a fresh server process and the native load
 *   generator in a closed loop with ONE frame in flight per connection (jmh/native/loadgen.c), warm-up
 *   then a measured window. Per point:
 *     frames/s                      replies completed in the window / its length
 *     Little's-law bound            connections / delay for delay:D (each connection can complete at
 *                                   most one frame per D): the ceiling a server that waits well reaches
 *     p50, p99                      from the generator's histogram
 *     server CPU per frame          /proc/PID/stat of the server process over the window
 *     server RSS, threads           /proc/PID/status at the end of the window
 *     client cores                  the generator's own CPU: near 1.0 means it was the limit
 *   and an open-loop curve (--rate: frames issued on a schedule, latency from each frame's due time,
 *   so a server that falls behind is charged for it) at 1,000 connections x delay:1ms: p99 against
 *   offered rate; and for the targets, each server open loop at 1,000 connections x delay:10ms at half
 *   the rate it reached closed-loop there (p99 should stay under delay + 5 ms).
 *
 *   handlers    echo | delay:1ms | delay:10ms | forward   (forward: relay to a backend, a fresh Netty
 *               echo server process per point, over a backend connection per client connection)
 *   servers     blocking | async | async-exec (async, blocking handler on --handler-threads N
 *               threads) | platform | netty
 *   connections 1, 10, 100, 1,000, 10,000 (forward: up to 5,000, so that client, server and backend
 *               stay under the 20,000 open files of this machine)
 *
 * POINTS A BUILD DOES NOT SUPPORT
 *   loomframe's serve exits with status 2 on a handler or flag it does not know (delay, forward and
 *   --handler-threads arrive with issue 13). Such a point is recorded as "unsupported" with the
 *   server's own message, and the sweep goes on; the charts leave it out and the tables say so.
 *
 * WHY THE FIGURES ARE COMPARABLE
 *   Same generator, same frames, a fresh process per point with default JVM flags, the same backend
 *   for every server's forward points. On 2 shared cores the generator and the server compete; the
 *   generator's own CPU is reported next to every point.
 *
 * HOW TO RUN
 *   jmh/run-sweep.sh                                  (the full sweep: see its header for the time)
 *   jmh/bench --main loomframe.bench.ConcurrencySweep --connections 1,100 --handlers echo,delay:1ms
 *       --servers blocking,netty --warmup 0.5 --duration 1 --rates 5000 --out /tmp/sweep.json
 *   options: --connections LIST  --handlers LIST  --servers LIST  --executor-threads N (200)
 *            --size BYTES (1024)  --warmup S (2)  --duration S (5)  --forward-max N (5000)
 *            --open-connections N (1000)  --open-handler H (delay:1ms)  --rates LIST (frames/s; empty: none)
 *            --out FILE (jmh/results/sweep.json)  --logs DIR  --fail-on-error (exit 1 if a point failed: CI)
 */
public final class ConcurrencySweep {

    public static void main(String[] args) throws Exception {
        List<String> connections = List.of("1", "10", "100", "1000", "10000");
        List<String> handlers = List.of("echo", "delay:1ms", "delay:10ms", "forward");
        List<String> servers = List.of("blocking", "async", "async-exec", "platform", "netty");
        List<String> rates = List.of("10000", "25000", "50000", "100000", "200000", "400000");
        // 200: the size of a typical bounded request pool (Tomcat's default maxThreads).
        int executorThreads = 200;
        long size = 1024;
        double warmup = 2, duration = 5;
        int forwardMax = 5000, openConnections = 1000;
        String openHandler = "delay:1ms";
        Path out = Harness.root().resolve("jmh/results/sweep.json");
        Path logs = Path.of("/tmp/loomframe-bench-logs");
        boolean failOnError = false;
        for (Args a = new Args("ConcurrencySweep", USAGE, args); a.next(); ) {
            switch (a.name()) {
                case "--connections" -> connections = a.list();
                case "--handlers" -> handlers = a.list();
                case "--servers" -> servers = a.list();
                case "--rates" -> rates = a.list();
                case "--executor-threads" -> executorThreads = a.integer();
                case "--size" -> size = EchoRounds.Case.size(a.value());
                case "--warmup" -> warmup = a.number();
                case "--duration" -> duration = a.number();
                case "--forward-max" -> forwardMax = a.integer();
                case "--open-connections" -> openConnections = a.integer();
                case "--open-handler" -> openHandler = a.value();
                case "--out" -> out = Path.of(a.value());
                case "--logs" -> logs = Path.of(a.value());
                case "--fail-on-error" -> failOnError = true;
                default -> a.unknown();
            }
        }

        JsonObject result = Harness.resultHeader("ConcurrencySweep", args);
        result.addProperty("size", size);
        result.addProperty("warmup_s", warmup);
        result.addProperty("duration_s", duration);
        result.addProperty("executor_threads", executorThreads);
        result.addProperty("backend", "netty echo, a fresh process per forward point");
        JsonArray points = new JsonArray();
        JsonArray open = new JsonArray();
        result.add("points", points);
        result.add("open_loop", open);
        JsonArray targets = new JsonArray();
        result.add("targets", targets);

        // A server that refused a handler once refuses it at every connection count: ask once.
        Map<String, String> unsupported = new HashMap<>();
        long started = System.nanoTime();
        for (String handler : handlers) {
            // forward opens a backend connection per client connection: cap it (10,000 becomes 5,000).
            int cap = handler.equals("forward") ? forwardMax : Integer.MAX_VALUE;
            List<Integer> counts = connections.stream().map(Integer::parseInt).map(n -> Math.min(n, cap)).distinct().toList();
            for (int n : counts) {
                for (String server : servers) {
                    JsonObject p = point(server, handler, executorThreads, LoadGen.Load.closed(n, size, 1, warmup, duration),
                            logs, unsupported);
                    points.add(p);
                    System.out.println(describe(p));
                    Harness.writeJson(out, result);
                }
            }
        }
        // The targets' open-loop check: each server at half the rate it reached in the closed loop at
        // 1,000 connections x delay:10ms, where a server that waits well keeps p99 under delay + 5 ms.
        for (String server : servers) {
            JsonObject closed = find(points, server, TARGET_HANDLER, openConnections);
            if (closed == null || !closed.has("loadgen")) continue;
            double half = closed.getAsJsonObject("loadgen").get("frames_per_s").getAsDouble() / 2;
            var load = LoadGen.Load.closed(openConnections, size, 1, warmup, duration).atRate(Math.round(half));
            JsonObject p = point(server, TARGET_HANDLER, executorThreads, load, logs, unsupported);
            p.addProperty("half_of_closed_loop", true);
            targets.add(p);
            System.out.println(describe(p));
            Harness.writeJson(out, result);
        }
        for (String rate : rates) {
            for (String server : servers) {
                var load = LoadGen.Load.closed(openConnections, size, 1, warmup, duration).atRate(Double.parseDouble(rate));
                JsonObject p = point(server, openHandler, executorThreads, load, logs, unsupported);
                open.add(p);
                System.out.println(describe(p));
                Harness.writeJson(out, result);
            }
        }
        Harness.finish(out, result, started, failOnError, points, open, targets);
    }

    /** The handler of issue 13's targets (1,000 connections x delay:10ms, and 10,000). */
    static final String TARGET_HANDLER = "delay:10ms";

    static JsonObject find(JsonArray points, String server, String handler, int connections) {
        for (var e : points) {
            JsonObject p = e.getAsJsonObject();
            if (p.get("server").getAsString().equals(server) && p.get("handler").getAsString().equals(handler)
                    && p.get("connections").getAsInt() == connections) return p;
        }
        return null;
    }

    static JsonObject point(String server, String handler, int executorThreads, LoadGen.Load load, Path logs,
                            Map<String, String> unsupported) {
        JsonObject p = new JsonObject();
        p.addProperty("server", server);
        p.addProperty("handler", handler);
        p.addProperty("connections", load.connections());
        if (server.startsWith("async-exec")) p.addProperty("executor_threads", executorThreads);
        if (load.rate() > 0) p.addProperty("rate", load.rate());
        double delay = delaySeconds(handler);
        if (delay > 0) p.addProperty("little_bound", load.connections() / delay);
        String key = server + " " + handler;
        if (unsupported.containsKey(key)) {
            p.addProperty("unsupported", unsupported.get(key));
            return p;
        }
        boolean forward = handler.equals("forward");
        ServerProcess.Spec base = ServerProcess.Spec.parse(server);       // NAME or NAME+FLAG..., as EchoRounds
        List<String> serverArgs = new ArrayList<>(base.serverArgs());
        // loomframe refuses connections above --max-connections (default 10,000): the sweep opens 10,000.
        if (base.isLoomframe()) serverArgs.addAll(List.of("--max-connections", "20000"));
        var spec = new ServerProcess.Spec(base.server(), forward ? "forward:{backend}" : handler, executorThreads, base.jvmArgs(), serverArgs);
        String tag = String.format(Locale.ROOT, "sweep-%s-%s-c%d%s", server, handler.replace(':', '_'), load.connections(),
                load.rate() > 0 ? "-r" + (long) load.rate() : "");
        EchoRounds.measure(p, spec, forward ? ServerProcess.Spec.echo("netty") : null, load, logs, tag);
        if (p.has("unsupported")) unsupported.put(key, p.get("unsupported").getAsString());
        return p;
    }

    /** delay:10ms -> 0.010; 0 for handlers that do not wait on purpose. */
    static double delaySeconds(String handler) {
        if (!handler.startsWith("delay:")) return 0;
        String d = handler.substring(6);
        if (d.endsWith("ms")) return Double.parseDouble(d.substring(0, d.length() - 2)) / 1e3;
        if (d.endsWith("us")) return Double.parseDouble(d.substring(0, d.length() - 2)) / 1e6;
        if (d.endsWith("s")) return Double.parseDouble(d.substring(0, d.length() - 1));
        return 0;
    }

    static String describe(JsonObject p) {
        return String.format(Locale.ROOT, "%-10s %-11s %6d conns%s", p.get("server").getAsString(), p.get("handler").getAsString(),
                p.get("connections").getAsInt(), p.has("rate") ? String.format(Locale.ROOT, " rate %,9.0f", p.get("rate").getAsDouble()) : "")
                + EchoRounds.outcome(p);
    }

    static final String USAGE = "[--connections 1,10,100,1000,10000] [--handlers echo,delay:1ms,delay:10ms,forward]"
            + " [--servers blocking,async,async-exec,platform,netty] [--executor-threads 200] [--size 1024]"
            + " [--warmup 2] [--duration 5] [--forward-max 5000] [--open-connections 1000] [--open-handler delay:1ms]"
            + " [--rates 10000,...] [--out FILE] [--logs DIR] [--fail-on-error]";
}
