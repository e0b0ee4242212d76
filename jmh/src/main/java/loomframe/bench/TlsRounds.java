package loomframe.bench;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/*
 * What TLS costs each server, measured the way the plaintext figures are (shared/MEASURING.md):
 * a fresh server process per run, the lean native load generator, every server plain and over TLS
 * in the same round, rounds repeating the whole matrix, ratios taken within a round.
 *
 * WHAT IS MEASURED, in every round
 *   echo        cases SIZE:CONNECTIONS:IN_FLIGHT (default 1k:100:1 and 64k:10:1) against blocking,
 *               async, platform and the Netty reference (SslHandler on the JDK provider), each plain
 *               and with TLS: jmh/native/loadgen, built with OpenSSL, connects (and handshakes) first,
 *               then 2 s warm-up and 5 s measured. Per run, from its JSON as in EchoRounds: frames/s,
 *               p50/p99, server CPU per frame (the server process's utime+stime over exactly the
 *               measured window / frames), the generator's own cores, other load on the machine, and
 *               the TLS version, cipher and key-exchange group negotiated.
 *   handshakes  the same servers, plain and TLS: C connections (default 16) each cycling connect,
 *               TLS handshake, one 1 KiB echo, close (after close_notify); 2 s warm-up + 3 s measured.
 *               frames/s is then connections per second and server CPU per frame is per connection.
 *               The generator keeps no session cache, so every handshake is a full one; it counts
 *               resumed handshakes, which must be 0. Plain: the same cycle without TLS, the TCP part.
 * and once, after the rounds
 *   idle        IdleConnections (RSS growth of the server's process tree, live heap after a full GC)
 *               at 2,000 connections, every server plain and with TLS; its client is a JVM
 *               (SSLSocket, a fresh SSLContext per connection, so no session is resumed either).
 *
 * HOW THE FIGURES ARE READ (loomframe.bench.figures.BenchFigures, the docs' generated blocks)
 *   Ratios within a round: TLS / plain for each server, and each loomframe server's TLS run / the
 *   Netty reference's TLS run; the median over rounds of the per-round figure, min-max over rounds.
 *   Within a round the servers' order rotates from round to round and each server's plain and TLS
 *   runs go back to back, alternating which goes first, so drift hits both sides of a ratio alike.
 *   The generator verifies every echo; over TLS it pays for encryption too, on the same 2 cores:
 *   its cores are in every row, so a reader can see when it, not the server, was the limit.
 *
 * HOW TO RUN
 *   jmh/run-tls.sh                                             the full run (see its header for the time)
 *   jmh/bench --main loomframe.bench.TlsRounds --rounds 1 --servers async,netty --skip-idle
 *   options: --cases LIST  --servers LIST (must include netty)  --rounds N  --warmup S  --duration S
 *            --handshake-connections C  --handshake-warmup S  --handshake-duration S
 *            --idle-connections N  --skip-idle  --out FILE (default jmh/results/tls/tls-rounds.json)
 *            --logs DIR (default /tmp/loomframe-bench-logs)  --fail-on-error (exit 1 on any failed run: CI)
 *   TLS needs jmh/target/loadgen built with OpenSSL (jmh/native/build.sh does it when libssl-dev is
 *   installed); without it this runner stops at once and says so.
 */
public final class TlsRounds {

    static final List<String> DEFAULT_CASES = List.of("1k:100:1", "64k:10:1");
    static final List<String> SERVERS = List.of("blocking", "async", "platform", "netty");

    public static void main(String[] args) throws Exception {
        List<String> cases = DEFAULT_CASES;
        List<String> servers = SERVERS;
        int rounds = 3, handshakeConnections = 16, idleConnections = 2000;
        double warmup = 2, duration = 5, handshakeWarmup = 2, handshakeDuration = 3;
        boolean idle = true, failOnError = false;
        Path out = Harness.root().resolve("jmh/results/tls/tls-rounds.json");
        Path logs = Path.of("/tmp/loomframe-bench-logs");
        Args a = new Args("TlsRounds", USAGE, args);
        while (a.next()) {
            switch (a.name()) {
                case "--cases" -> cases = a.list();
                case "--servers" -> servers = a.list();
                case "--rounds" -> rounds = a.integer();
                case "--warmup" -> warmup = a.number();
                case "--duration" -> duration = a.number();
                case "--handshake-connections" -> handshakeConnections = a.integer();
                case "--handshake-warmup" -> handshakeWarmup = a.number();
                case "--handshake-duration" -> handshakeDuration = a.number();
                case "--idle-connections" -> idleConnections = a.integer();
                case "--skip-idle" -> idle = false;
                case "--out" -> out = Path.of(a.value());
                case "--logs" -> logs = Path.of(a.value());
                case "--fail-on-error" -> failOnError = true;
                default -> a.unknown();
            }
        }
        if (!servers.contains("netty")) a.fail("--servers must include netty: the loomframe figures are ratios to its TLS run");
        for (String s : servers) if (!SERVERS.contains(s)) a.fail("--servers: each of " + String.join(", ", SERVERS) + ", got " + s);
        if (idleConnections < 1 || idleConnections > 15_000) a.fail("--idle-connections must be 1..15000 (open-file limit), got " + idleConnections);
        List<EchoRounds.Case> parsed = cases.stream().map(EchoRounds.Case::parse).toList();
        String library;
        try {
            library = LoadGen.requireTls();
        } catch (IllegalStateException e) {
            System.err.println("TlsRounds: " + e.getMessage());
            System.exit(2);
            return;
        }
        BenchTls certificates = BenchTls.make();

        JsonObject result = Harness.resultHeader("TlsRounds", args);
        result.addProperty("client", "jmh/target/loadgen (C, epoll, one thread, every echo verified) with " + library);
        result.addProperty("certificate", "EC P-256 for localhost, signed by a throw-away EC P-256 CA (chain of 2), made by keytool for this run");
        result.addProperty("warmup_s", warmup);
        result.addProperty("duration_s", duration);
        result.addProperty("rounds", rounds);
        result.add("cases", EchoRounds.strings(parsed.stream().map(EchoRounds.Case::name).toList()));
        result.add("servers", EchoRounds.strings(servers));
        JsonObject hs = new JsonObject();
        hs.addProperty("connections", handshakeConnections);
        hs.addProperty("size", 1024);
        hs.addProperty("warmup_s", handshakeWarmup);
        hs.addProperty("duration_s", handshakeDuration);
        result.add("handshake_load", hs);
        JsonArray runs = new JsonArray(), handshakes = new JsonArray(), idleResults = new JsonArray();
        result.add("runs", runs);
        result.add("handshakes", handshakes);

        long started = System.nanoTime();
        for (int round = 1; round <= rounds; round++) {
            for (EchoRounds.Case c : parsed) {
                var load = LoadGen.Load.closed(c.connections(), c.size(), c.pipeline(), warmup, duration);
                for (String server : order(servers, round)) {
                    for (boolean tls : modes(round)) {
                        JsonObject run = measure(round, c.name(), server, tls, load, certificates, logs);
                        runs.add(run);
                        Harness.writeJson(out, result);
                    }
                }
            }
            var cycle = LoadGen.Load.closed(handshakeConnections, 1024, 1, handshakeWarmup, handshakeDuration).cyclingConnections();
            for (String server : order(servers, round)) {
                for (boolean tls : modes(round)) {
                    handshakes.add(measure(round, "handshakes", server, tls, cycle, certificates, logs));
                    Harness.writeJson(out, result);
                }
            }
        }
        if (idle) {
            result.addProperty("idle_connections", idleConnections);
            result.add("idle", idleResults);
            for (String server : servers) {
                for (boolean tls : List.of(false, true)) {
                    idleResults.add(idle(server, idleConnections, logs, tls ? certificates : null));
                    Harness.writeJson(out, result);
                }
            }
        }
        Harness.finish(out, result, started, failOnError, runs, handshakes, idleResults);
    }

    /** The servers in this round's order: rotated by one each round, so no server always goes first. */
    private static List<String> order(List<String> servers, int round) {
        List<String> order = new ArrayList<>(servers);
        Collections.rotate(order, -(round - 1));
        return order;
    }

    /** Plain then TLS in odd rounds, TLS then plain in even ones. */
    private static List<Boolean> modes(int round) {
        return round % 2 == 1 ? List.of(false, true) : List.of(true, false);
    }

    private static JsonObject measure(int round, String caseName, String server, boolean tls, LoadGen.Load load,
                                      BenchTls certificates, Path logs) {
        JsonObject run = new JsonObject();
        run.addProperty("round", round);
        run.addProperty("case", caseName);
        run.addProperty("server", server);
        run.addProperty("tls", tls);
        var spec = ServerProcess.Spec.echo(server);
        if (tls) spec = spec.withServerArgs(certificates.serverArgs());
        String tag = String.format(Locale.ROOT, "tls-r%d-%s-%s-%s", round, caseName.replace(':', '_'), server, tls ? "tls" : "plain");
        EchoRounds.measure(run, spec, null, tls ? load.withTls(certificates.ca()) : load, logs, tag);
        long resumed = run.has("loadgen") && run.getAsJsonObject("loadgen").has("tls")
                ? run.getAsJsonObject("loadgen").getAsJsonObject("tls").get("resumed").getAsLong() : 0;
        if (resumed > 0 && !run.has("error")) {
            run.addProperty("error", resumed + " handshakes resumed a session: the figures are not those of full handshakes");
        }
        System.out.println(String.format(Locale.ROOT, "round %d %-10s %-9s %-5s", round, caseName, server, tls ? "tls" : "plain")
                + EchoRounds.outcome(run) + resumed(run));
        return run;
    }

    private static String resumed(JsonObject run) {
        if (!run.has("loadgen") || !run.getAsJsonObject("loadgen").has("tls")) return "";
        JsonObject t = run.getAsJsonObject("loadgen").getAsJsonObject("tls");
        return String.format(Locale.ROOT, "  %s %s, %d handshakes, %d resumed", t.get("version").getAsString(), t.get("cipher").getAsString(),
                t.get("handshakes").getAsLong(), t.get("resumed").getAsLong());
    }

    /** IdleConnections for one server, plain or TLS; a failure is recorded, not thrown. */
    private static JsonObject idle(String server, int connections, Path logs, BenchTls tls) {
        JsonObject r;
        try {
            r = IdleConnections.measure(server, connections, logs, tls);
            System.out.printf(Locale.ROOT, "idle %-9s %-5s %,d connections  RSS growth %6.2f KiB/conn  live heap %6.2f KiB/conn  second echo %d/%d%n",
                    server, tls != null ? "tls" : "plain", connections, r.get("rss_growth_per_connection").getAsDouble() / 1024,
                    r.get("live_heap_per_connection").getAsDouble() / 1024, r.get("second_echo_ok").getAsInt(), connections);
            if (r.get("second_echo_ok").getAsInt() != connections) {
                r.addProperty("error", (connections - r.get("second_echo_ok").getAsInt()) + " idle connections did not echo again");
            }
        } catch (Exception e) {
            r = new JsonObject();
            r.addProperty("impl", server);
            r.addProperty("tls", tls != null);
            r.addProperty("error", String.valueOf(e));
            System.out.println("idle " + server + (tls != null ? " tls" : " plain") + "  FAILED: " + e);
        }
        return r;
    }

    static final String USAGE = "[--cases 1k:100:1,64k:10:1] [--servers blocking,async,platform,netty] [--rounds 3] [--warmup 2]"
            + " [--duration 5] [--handshake-connections 16] [--handshake-warmup 2] [--handshake-duration 3]"
            + " [--idle-connections 2000] [--skip-idle] [--out FILE] [--logs DIR] [--fail-on-error]";
}
