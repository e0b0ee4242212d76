package loomframe.bench;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/*
 * System calls per echoed frame, per server: the evidence behind the explanations of CPU per frame.
 *
 * WHAT IS MEASURED
 *   For each server and case, a fresh server process and the native load generator with --gate:
 *   after a 2 s warm-up the generator lets every frame in flight come back and waits; strace
 *   (`strace -c -f -p PID`: every thread of the server) attaches while the connections are quiet; the
 *   generator then runs exactly FRAMES frames (plus those still in flight when the count is reached,
 *   which it also waits for) and waits again; strace detaches and prints its table. Calls per frame =
 *   calls / frames answered between the gates. The idle seconds around the window add a few
 *   housekeeping calls (futex, the JVM's timers), visible as small fractions.
 *   strace slows every call down, so the counts are trustworthy and the times in its table are not.
 *
 * OUTPUT
 *   jmh/results/profiles/syscalls-CASE-SERVER.txt   strace's table with a calls-per-frame column
 *   jmh/results/profiles/syscalls.json              calls per frame, for the generated table in the docs
 *
 * HOW TO RUN
 *   jmh/profile-syscalls.sh                            (every server, cases 1k:100:1 and 64:100:16; ~3 min)
 *   jmh/bench --main loomframe.bench.SyscallProfile --servers blocking,netty --cases 1k:100:1:20000
 *   options: --servers LIST  --cases SIZE:CONNECTIONS:IN_FLIGHT:FRAMES,...  --out DIR
 */
public final class SyscallProfile {

    public static void main(String[] args) throws Exception {
        List<String> servers = ServerProcess.ECHO_SERVERS;
        List<String> cases = List.of("1k:100:1:20000", "64:100:16:200000");
        Path out = Harness.root().resolve("jmh/results/profiles");
        Path logs = Path.of("/tmp/loomframe-bench-logs");
        for (Args a = new Args("SyscallProfile", "[--servers blocking,...] [--cases SIZE:CONNECTIONS:IN_FLIGHT:FRAMES,...] [--out DIR]", args); a.next(); ) {
            switch (a.name()) {
                case "--servers" -> servers = a.list();
                case "--cases" -> cases = a.list();
                case "--out" -> out = Path.of(a.value());
                default -> a.unknown();
            }
        }
        Files.createDirectories(out);
        JsonObject result = Harness.resultHeader("SyscallProfile", args);
        JsonArray results = new JsonArray();
        result.add("results", results);
        for (String c : cases) {
            String[] p = c.split(":");
            EchoRounds.Case echo = EchoRounds.Case.parse(p[0] + ":" + p[1] + ":" + p[2]);
            long frames = Long.parseLong(p[3]);
            for (String server : servers) {
                String name = echo.name().replace(':', '_') + "-" + server;
                JsonObject r = profile(ServerProcess.Spec.echo(server), echo, frames, out.resolve("syscalls-" + name + ".txt"), logs, name);
                results.add(r);
                System.out.println(name + ": " + r.get("per_frame"));
            }
        }
        Harness.writeJson(out.resolve("syscalls.json"), result);
        System.out.println("wrote " + out.resolve("syscalls.json"));
    }

    static JsonObject profile(ServerProcess.Spec spec, EchoRounds.Case c, long frames, Path table, Path logs, String name) throws Exception {
        try (ServerProcess server = ServerProcess.start(spec, logs.resolve("strace-" + name + "-server.log"))) {
            Process gen = new ProcessBuilder(Harness.nativeTools().resolve("loadgen").toString(), "--port", String.valueOf(server.port()),
                    "--connections", String.valueOf(c.connections()), "--size", String.valueOf(c.size()), "--pipeline", String.valueOf(c.pipeline()),
                    "--warmup", "2", "--duration", "600", "--frames", String.valueOf(frames), "--gate").start();
            LinkedBlockingQueue<String> said = new LinkedBlockingQueue<>();
            Thread pump = new Thread(() -> {
                try (var in = new BufferedReader(new InputStreamReader(gen.getErrorStream(), StandardCharsets.UTF_8))) {
                    for (String l; (l = in.readLine()) != null; ) said.add(l);
                } catch (IOException ignored) {
                    // the generator ended
                }
            });
            pump.setDaemon(true);
            pump.start();
            CompletableFuture<byte[]> json = CompletableFuture.supplyAsync(() -> {
                try {
                    return gen.getInputStream().readAllBytes();
                } catch (IOException e) {
                    return new byte[0];
                }
            });
            OutputStream go = gen.getOutputStream();
            await(said, "idle before the measured window");
            Path raw = Files.createTempFile("strace", ".txt");
            Process strace = new ProcessBuilder("strace", "-c", "-f", "-q", "-p", String.valueOf(server.pid()), "-o", raw.toString())
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            Thread.sleep(2000);                     // attaching to every thread of a JVM takes a moment
            go.write('\n');
            go.flush();
            await(said, "idle before closing");
            strace.destroy();                        // SIGTERM: strace detaches and writes its summary
            strace.waitFor(30, TimeUnit.SECONDS);
            go.write('\n');
            go.close();
            gen.waitFor(60, TimeUnit.SECONDS);
            JsonObject load = JsonParser.parseString(new String(json.get(60, TimeUnit.SECONDS), StandardCharsets.UTF_8)).getAsJsonObject();
            long answered = load.get("frames").getAsLong() + load.get("drain_frames").getAsLong();
            Map<String, Long> calls = parse(Files.readAllLines(raw));
            Files.delete(raw);
            JsonObject perFrame = new JsonObject();
            StringBuilder text = new StringBuilder(String.format(Locale.ROOT,
                    "# strace -c -f -p PID on %s, %s (%d connections x %d in flight, %d B payload): %d frames answered between the gates%n"
                            + "# %s%n# calls per frame = calls / frames; strace's times are inflated by strace itself and left out%n%n"
                            + "%-22s %12s %10s%n", spec.server(), c.name(), c.connections(), c.pipeline(), c.size(), answered, server.readyLine(),
                    "syscall", "calls", "per frame"));
            calls.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).forEach(e -> {
                double pf = e.getValue() / (double) answered;
                text.append(String.format(Locale.ROOT, "%-22s %12d %10.3f%n", e.getKey(), e.getValue(), pf));
                perFrame.addProperty(e.getKey(), Math.round(pf * 1000) / 1000.0);
            });
            Files.writeString(table, text);
            JsonObject r = new JsonObject();
            r.addProperty("case", c.name());
            r.addProperty("server", spec.server());
            r.addProperty("frames", answered);
            r.add("per_frame", perFrame);
            return r;
        }
    }

    private static void await(LinkedBlockingQueue<String> lines, String what) throws InterruptedException, IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
        while (System.nanoTime() < deadline) {
            String l = lines.poll(1, TimeUnit.SECONDS);
            if (l != null && l.contains(what)) return;
            if (l != null && l.startsWith("loadgen:") && !l.contains("measure")) throw new IOException(l);
        }
        throw new IOException("the load generator never said '" + what + "'");
    }

    /** strace -c's table: "% time seconds usecs/call calls [errors] syscall" lines, up to the total line. */
    static Map<String, Long> parse(List<String> lines) {
        Map<String, Long> calls = new LinkedHashMap<>();
        for (String line : lines) {
            String[] f = line.trim().split("\\s+");
            if (f.length < 5 || !f[0].matches("[0-9.]+") || f[f.length - 1].equals("total")) continue;
            calls.merge(f[f.length - 1], Long.parseLong(f[3]), Long::sum);
        }
        return calls;
    }
}
