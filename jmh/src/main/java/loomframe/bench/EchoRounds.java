package loomframe.bench;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/*
 * Echo throughput, latency and CPU per frame of every server, measured the way outside checkers
 * measure them (shared/MEASURING.md): a fresh server process per run, a native load generator, the
 * Netty reference and the raw echo ceiling in the same round, rounds repeating the whole matrix.
 *
 * WHAT IS MEASURED
 *   A case SIZE:CONNECTIONS:IN_FLIGHT (e.g. 1k:100:1) is one closed loop of the native load
 *   generator (jmh/native/loadgen.c): CONNECTIONS connections, IN_FLIGHT frames of SIZE payload bytes
 *   in flight on each, every echo verified byte for byte; 2 s warm-up, then a 5 s measured window.
 *   Per run (one server, one case, one round) it records, from the generator's JSON:
 *     frames/s, p50/p90/p99/p99.9/max latency    the generator's histogram, frames issued in the window
 *     server CPU per frame                       utime+stime of /proc/PID/stat (the whole server
 *                                                process: every thread, GC and JIT included) over
 *                                                exactly the measured window, / frames in it
 *     client CPU per frame, client cores         the generator's own getrusage over the window: near
 *                                                1.0 core means the generator was the limit
 *     server RSS and threads                     /proc/PID/status at the end of the window
 *     other cores                                the rest of the machine's busy time meanwhile
 *
 * WHY THE FIGURES ARE COMPARABLE
 *   Same generator, same frames, same machine, a fresh process per run with default JVM flags
 *   (loomframe: java -jar target/loomframe.jar serve --impl X --port 0 --idle-timeout 0; Netty:
 *   NettyReferenceServer; rawecho: the C binary). Within a round the servers of a case run back to
 *   back (their order rotates from round to round); the reported figure is the MEDIAN OVER ROUNDS OF
 *   THE PER-ROUND RATIO to Netty, with the min-max over rounds, so a drift that slows a whole round
 *   cancels out. rawecho / Netty is the harness's ceiling: how far above Netty the generator and
 *   loopback can go at all. ChartMaker turns the JSON into tables and charts.
 *
 * WHAT 2 SHARED CORES DO
 *   The generator takes up to one core, the server the other; a server that needs less CPU per frame
 *   leaves more to the generator. Server CPU per frame is the steadier figure; ratios of frames/s move
 *   10-15 % between runs on 2 shared cores.
 *
 * HOW TO RUN
 *   jmh/run-echo.sh                                           (the full run: see its header for the time)
 *   jmh/bench --main loomframe.bench.EchoRounds --cases 1k:100:1 --servers blocking,netty --rounds 1
 *   a server may carry JVM flags of its own, to measure a knob beside the default (jmh/run-knobs.sh):
 *     --servers netty,async,async+-Dsun.nio.ch.disableSynchronousRead=true
 *   options: --cases LIST (SIZE:CONNECTIONS:IN_FLIGHT, sizes with k/m)  --servers LIST  --rounds N
 *            --warmup S  --duration S  --out FILE (JSON, default jmh/results/echo-rounds.json)
 *            --logs DIR (server and generator output, default /tmp/loomframe-bench-logs)
 *            --fail-on-error (exit 1 if any run lost, corrupted or refused frames: CI)
 */
public final class EchoRounds {

    /** The headline cases (the targets of issue 12) first, then the rest of the kept grid. */
    static final List<String> DEFAULT_CASES = List.of(
            "64:100:16", "1k:100:1", "64k:10:1", "4m:2:1",
            "64:1:1", "1k:1:1", "1k:100:16", "64k:1:16", "1m:1:1", "1m:1:16", "1m:100:16");

    record Case(long size, int connections, int pipeline) {
        static Case parse(String s) {
            String[] p = s.split(":");
            if (p.length != 3) throw new IllegalArgumentException("a case is SIZE:CONNECTIONS:IN_FLIGHT, got " + s);
            return new Case(size(p[0]), Integer.parseInt(p[1]), Integer.parseInt(p[2]));
        }

        static long size(String s) {
            String l = s.toLowerCase(Locale.ROOT);
            if (l.endsWith("k")) return Long.parseLong(l.substring(0, l.length() - 1)) * 1024;
            if (l.endsWith("m")) return Long.parseLong(l.substring(0, l.length() - 1)) * 1024 * 1024;
            return Long.parseLong(l);
        }

        /** 64:100:16, 1k:100:1, 4m:2:1: the name used in the results and the docs. */
        String name() {
            String s = size % (1024 * 1024) == 0 && size > 0 ? size / (1024 * 1024) + "m"
                    : size % 1024 == 0 && size > 0 ? size / 1024 + "k" : String.valueOf(size);
            return s + ":" + connections + ":" + pipeline;
        }
    }

    public static void main(String[] args) throws Exception {
        List<String> cases = DEFAULT_CASES;
        List<String> servers = ServerProcess.ECHO_SERVERS;
        int rounds = 3;
        double warmup = 2, duration = 5;
        Path out = Harness.root().resolve("jmh/results/echo-rounds.json");
        Path logs = Path.of("/tmp/loomframe-bench-logs");
        boolean failOnError = false;
        for (Args a = new Args("EchoRounds", USAGE, args); a.next(); ) {
            switch (a.name()) {
                case "--cases" -> cases = a.list();
                case "--servers" -> servers = a.list();
                case "--rounds" -> rounds = a.integer();
                case "--warmup" -> warmup = a.number();
                case "--duration" -> duration = a.number();
                case "--out" -> out = Path.of(a.value());
                case "--logs" -> logs = Path.of(a.value());
                case "--fail-on-error" -> failOnError = true;
                default -> a.unknown();
            }
        }
        if (!servers.contains("netty")) new Args("EchoRounds", USAGE, args).fail("--servers must include netty: every figure is a ratio to it");
        List<Case> parsed = cases.stream().map(Case::parse).toList();

        JsonObject result = Harness.resultHeader("EchoRounds", args);
        result.addProperty("warmup_s", warmup);
        result.addProperty("duration_s", duration);
        result.addProperty("rounds", rounds);
        result.add("cases", strings(parsed.stream().map(Case::name).toList()));
        result.add("servers", strings(servers));
        JsonArray runs = new JsonArray();
        result.add("runs", runs);

        long started = System.nanoTime();
        for (int round = 1; round <= rounds; round++) {
            for (Case c : parsed) {
                // Rotate the order from round to round, so no server always runs first (or after Netty).
                List<String> order = new ArrayList<>(servers);
                Collections.rotate(order, -(round - 1));
                for (String server : order) {
                    JsonObject run = runOne(ServerProcess.Spec.parse(server), c, warmup, duration, logs, round);
                    run.addProperty("server", server);           // the variant's whole name, flags included
                    runs.add(run);
                    System.out.println(progress(run));
                    Harness.writeJson(out, result);
                }
            }
        }
        Harness.finish(out, result, started, failOnError, runs);
    }

    /** One fresh server, one generator run against it, the server stopped; errors are recorded, not thrown. */
    static JsonObject runOne(ServerProcess.Spec spec, Case c, double warmup, double duration, Path logs, int round) {
        JsonObject run = new JsonObject();
        run.addProperty("round", round);
        run.addProperty("case", c.name());
        run.addProperty("server", spec.server());
        String tag = String.format(Locale.ROOT, "r%d-%s-%s", round, c.name().replace(':', '_'), spec.server());
        measure(run, spec, null, LoadGen.Load.closed(c.connections(), c.size(), c.pipeline(), warmup, duration), logs, tag);
        return run;
    }

    /**
     * Starts a fresh server (and first, if {@code backend} is given, a fresh backend whose port
     * replaces {@code {backend}} in the server's handler), runs the generator, stops both; adds to
     * {@code run} either "loadgen" (the generator's JSON), "unsupported" (the server refused its
     * arguments: exit 2) or "error".
     */
    static void measure(JsonObject run, ServerProcess.Spec spec, ServerProcess.Spec backend, LoadGen.Load load, Path logs, String tag) {
        measure(run, spec, backend, load, logs, tag, null);
    }

    /** As above; {@code beforeStop}, if given, runs with the server once the generator is done (a profiler's dump). */
    static void measure(JsonObject run, ServerProcess.Spec spec, ServerProcess.Spec backend, LoadGen.Load load, Path logs, String tag,
                        BeforeStop beforeStop) {
        run.addProperty("load_before", Harness.loadAverage());
        ServerProcess back = null;
        try {
            if (backend != null) {
                back = ServerProcess.start(backend, logs.resolve(tag + "-backend.log"));
                spec = new ServerProcess.Spec(spec.server(), spec.handler().replace("{backend}", "127.0.0.1:" + back.port()),
                        spec.executorThreads(), spec.jvmArgs(), spec.serverArgs());
                run.addProperty("backend_ready", back.readyLine());
            }
            try (ServerProcess server = ServerProcess.start(spec, logs.resolve(tag + "-server.log"))) {
                run.addProperty("ready", server.readyLine());
                // A server with --metrics is scraped once a second while it runs, as Prometheus would (more often).
                Scraper scraper = Scraper.start(server.metricsUrl());
                JsonObject result = LoadGen.run(load, server.port(), server.pid(), back == null ? 0 : back.pid(),
                        logs.resolve(tag + "-loadgen.log"));
                if (scraper != null) run.addProperty("scrapes", scraper.stop());
                run.add("loadgen", result);
                if (result.has("error")) run.addProperty("error", result.get("error").getAsString());
                if (beforeStop != null) beforeStop.accept(server);
            }
        } catch (ServerProcess.Unsupported e) {
            run.addProperty("unsupported", e.getMessage());
        } catch (IOException | RuntimeException e) {
            run.addProperty("error", String.valueOf(e.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            run.addProperty("error", "interrupted");
        } finally {
            if (back != null) back.close();
        }
    }

    /** GET /metrics once a second on a daemon thread; counts the scrapes that answered 200. */
    static final class Scraper {
        private final Thread thread;
        private final java.util.concurrent.atomic.AtomicInteger answered = new java.util.concurrent.atomic.AtomicInteger();

        private Scraper(String url) {
            var client = java.net.http.HttpClient.newHttpClient();
            var request = java.net.http.HttpRequest.newBuilder(java.net.URI.create(url)).timeout(java.time.Duration.ofSeconds(2)).build();
            thread = new Thread(() -> {
                while (!Thread.currentThread().isInterrupted()) {
                    try {
                        Thread.sleep(1000);
                        var r = client.send(request, java.net.http.HttpResponse.BodyHandlers.discarding());
                        if (r.statusCode() == 200) answered.incrementAndGet();
                    } catch (InterruptedException e) {
                        return;
                    } catch (IOException e) {
                        // count only what answered
                    }
                }
            }, "metrics-scraper");
            thread.setDaemon(true);
            thread.start();
        }

        static Scraper start(String url) {
            return url == null ? null : new Scraper(url);
        }

        int stop() throws InterruptedException {
            thread.interrupt();
            thread.join(5000);
            return answered.get();
        }
    }

    interface BeforeStop {
        void accept(ServerProcess server) throws IOException, InterruptedException;
    }

    static String progress(JsonObject run) {
        return String.format(Locale.ROOT, "round %d %-10s %-11s", run.get("round").getAsInt(), run.get("case").getAsString(),
                run.get("server").getAsString()) + outcome(run);
    }

    /** One line for a progress log: what the generator measured, or why there is nothing. */
    static String outcome(JsonObject run) {
        if (run.has("unsupported")) return "  unsupported by this build: " + run.get("unsupported").getAsString();
        if (!run.has("loadgen")) return "  FAILED: " + run.get("error").getAsString();
        JsonObject l = run.getAsJsonObject("loadgen");
        JsonObject s = l.has("server") ? l.getAsJsonObject("server") : new JsonObject();
        return String.format(Locale.ROOT, "  %,11.0f frames/s%s  p50 %,9.0f µs  p99 %,9.0f µs  server %,9.2f µs/frame %5d threads %,8d KiB"
                        + "  client %.2f cores%s",
                l.get("frames_per_s").getAsDouble(),
                run.has("little_bound") ? String.format(Locale.ROOT, " (bound %,.0f)", run.get("little_bound").getAsDouble()) : "",
                l.getAsJsonObject("latency_us").get("p50").getAsDouble(), l.getAsJsonObject("latency_us").get("p99").getAsDouble(),
                s.has("cpu_ns_per_frame") ? s.get("cpu_ns_per_frame").getAsDouble() / 1000 : Double.NaN,
                s.has("threads") ? s.get("threads").getAsInt() : -1, s.has("rss_kib") ? s.get("rss_kib").getAsLong() : -1,
                l.get("client_cores").getAsDouble(), run.has("error") ? "  ERROR " + run.get("error").getAsString() : "");
    }

    static JsonArray strings(List<String> values) {
        JsonArray a = new JsonArray();
        values.forEach(a::add);
        return a;
    }

    static final String USAGE = "[--cases 64:100:16,1k:100:1,...] [--servers blocking,async,platform,netty,rawecho]"
            + " [--rounds 3] [--warmup 2] [--duration 5] [--out FILE] [--logs DIR] [--fail-on-error]";
}
