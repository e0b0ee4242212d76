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
 *   after a 2 s warm-up the generator lets every frame in flight come back and waits; the tracer
 *   attaches to every thread of the server while the connections are quiet; the generator then runs
 *   exactly FRAMES frames (plus those still in flight when the count is reached, which it also waits
 *   for) and waits again; the tracer stops. Calls per frame = calls / frames answered between the
 *   gates. The idle moments around the window add a few housekeeping calls (futex, the JVM's timers).
 *
 *   The tracer is perf (`perf stat` on the kernel's syscall tracepoints), which counts in the kernel
 *   and leaves the server's timing alone. That matters: strace stops the server at every call, which
 *   gives the peer time to send, so a read that would have found nothing finds bytes under strace,
 *   and the counts of empty reads and of the poller's epoll_ctl come out wrong. strace is the
 *   fallback when perf is missing or not permitted (--tracer strace), and says so in the table.
 *   Beside the calls, perf counts the reads that found nothing (EAGAIN: the connection then parks or
 *   waits for the poller) and the epoll_ctl calls that failed (the JDK's poller tries MOD, then ADD).
 *
 * OUTPUT
 *   jmh/results/profiles/syscalls-CASE-SERVER.txt   the counts, with a calls-per-frame column
 *   jmh/results/profiles/syscalls.json              calls per frame, for the generated table in the docs
 *
 * HOW TO RUN
 *   jmh/profile-syscalls.sh                            (every server; cases 1k:100:1, 64:100:16, and
 *                                                       1k:1000:1 with echo and delay:10ms; ~5 min)
 *   jmh/bench --main loomframe.bench.SyscallProfile --servers blocking,netty --cases 1k:100:1:20000
 *   options: --servers LIST (NAME or NAME+FLAG..., as EchoRounds)
 *            --cases SIZE:CONNECTIONS:IN_FLIGHT:FRAMES[:HANDLER],...  --tracer perf|strace  --out DIR
 */
public final class SyscallProfile {

    /** The calls perf counts by name: every one the servers make per frame, and the usual housekeeping. */
    static final List<String> CALLS = List.of("read", "readv", "recvfrom", "recvmsg", "write", "writev", "sendto", "sendmsg",
            "epoll_ctl", "epoll_wait", "epoll_pwait", "epoll_pwait2", "futex", "sched_yield", "ioctl", "poll", "ppoll",
            "nanosleep", "clock_nanosleep", "madvise", "mprotect");
    /** Reads that found nothing: {@code -EAGAIN} is -11 on Linux. */
    static final List<String> READS = List.of("read", "readv", "recvfrom", "recvmsg");

    public static void main(String[] args) throws Exception {
        List<String> servers = ServerProcess.ECHO_SERVERS;
        List<String> cases = List.of("1k:100:1:20000", "64:100:16:200000", "1k:1000:1:40000", "1k:1000:1:40000:delay:10ms");
        Path out = Harness.root().resolve("jmh/results/profiles");
        Path logs = Path.of("/tmp/loomframe-bench-logs");
        String tracer = perfWorks() ? "perf" : "strace";
        for (Args a = new Args("SyscallProfile", "[--servers blocking,...] [--cases SIZE:CONNECTIONS:IN_FLIGHT:FRAMES[:HANDLER],...]"
                + " [--tracer perf|strace] [--out DIR]", args); a.next(); ) {
            switch (a.name()) {
                case "--servers" -> servers = a.list();
                case "--cases" -> cases = a.list();
                case "--tracer" -> tracer = a.value();
                case "--out" -> out = Path.of(a.value());
                default -> a.unknown();
            }
        }
        if (!tracer.equals("perf") && !tracer.equals("strace")) throw new IllegalArgumentException("--tracer must be perf or strace, got " + tracer);
        Files.createDirectories(out);
        JsonObject result = Harness.resultHeader("SyscallProfile", args);
        result.addProperty("tracer", tracer);
        JsonArray results = new JsonArray();
        result.add("results", results);
        for (String c : cases) {
            String[] p = c.split(":", 5);
            EchoRounds.Case echo = EchoRounds.Case.parse(p[0] + ":" + p[1] + ":" + p[2]);
            long frames = Long.parseLong(p[3]);
            String handler = p.length > 4 ? p[4] : "echo";
            for (String server : servers) {
                ServerProcess.Spec spec = ServerProcess.Spec.parse(server).withHandler(handler);
                if (spec.command() == null) continue;            // rawecho only echoes
                String name = echo.name().replace(':', '_') + (handler.equals("echo") ? "" : "-" + handler.replace(':', '_'))
                        + "-" + server.replaceAll("[^A-Za-z0-9_.=-]+", "_");
                JsonObject r = profile(spec, server, handler, echo, frames, tracer, out.resolve("syscalls-" + name + ".txt"), logs, name);
                results.add(r);
                System.out.println(name + ": " + r.get("per_frame") + " empty reads " + r.get("empty_reads"));
            }
        }
        Harness.writeJson(out.resolve("syscalls.json"), result);
        System.out.println("wrote " + out.resolve("syscalls.json"));
    }

    /** Whether {@code perf stat} can count a syscall tracepoint here (installed, and allowed to). */
    static boolean perfWorks() {
        try {
            Process p = new ProcessBuilder("perf", "stat", "-x,", "-e", "syscalls:sys_enter_getpid", "true")
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    static JsonObject profile(ServerProcess.Spec spec, String label, String handler, EchoRounds.Case c, long frames, String tracer,
                              Path table, Path logs, String name) throws Exception {
        try (ServerProcess server = ServerProcess.start(spec, logs.resolve("syscalls-" + name + "-server.log"))) {
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
            Path raw = Files.createTempFile("syscalls", ".txt");
            Process trace = new ProcessBuilder(tracer.equals("perf") ? perfCommand(server.pid(), raw) : List.of(
                    "strace", "-c", "-f", "-q", "-p", String.valueOf(server.pid()), "-o", raw.toString()))
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            Thread.sleep(2000);                     // attaching to every thread of a JVM takes a moment
            go.write('\n');
            go.flush();
            await(said, "idle before closing");
            if (tracer.equals("perf")) {
                new ProcessBuilder("kill", "-INT", String.valueOf(trace.pid())).start().waitFor();  // perf prints its counts on SIGINT
            } else {
                trace.destroy();                     // SIGTERM: strace detaches and writes its summary
            }
            trace.waitFor(30, TimeUnit.SECONDS);
            go.write('\n');
            go.close();
            gen.waitFor(60, TimeUnit.SECONDS);
            JsonObject load = JsonParser.parseString(new String(json.get(60, TimeUnit.SECONDS), StandardCharsets.UTF_8)).getAsJsonObject();
            long answered = load.get("frames").getAsLong() + load.get("drain_frames").getAsLong();
            List<String> lines = Files.readAllLines(raw);
            Files.delete(raw);
            Map<String, Long> calls = tracer.equals("perf") ? parsePerf(lines) : parseStrace(lines);
            Long total = calls.remove("all");
            Long emptyReads = calls.remove("reads that found nothing");
            Long failedCtl = calls.remove("epoll_ctl failed");
            calls.values().removeIf(v -> v == 0);
            JsonObject perFrame = new JsonObject();
            StringBuilder text = new StringBuilder(String.format(Locale.ROOT,
                    "# %s on %s, %s, handler %s (%d connections x %d in flight, %d B payload): %d frames answered between the gates%n"
                            + "# %s%n# calls per frame = calls / frames%s%n%n%-26s %12s %10s%n",
                    tracer.equals("perf") ? "perf stat -e syscalls:sys_enter_* -p PID" : "strace -c -f -p PID", label, c.name(), handler,
                    c.connections(), c.pipeline(), c.size(), answered, server.readyLine(),
                    tracer.equals("perf") ? "" : "; strace's times are inflated by strace itself and left out", "syscall", "calls", "per frame"));
            calls.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).forEach(e -> {
                double pf = e.getValue() / (double) answered;
                text.append(String.format(Locale.ROOT, "%-26s %12d %10.3f%n", e.getKey(), e.getValue(), pf));
                perFrame.addProperty(e.getKey(), round(pf));
            });
            JsonObject r = new JsonObject();
            r.addProperty("case", c.name());
            r.addProperty("handler", handler);
            r.addProperty("server", label);
            r.addProperty("frames", answered);
            r.add("per_frame", perFrame);
            if (total != null) {
                text.append(String.format(Locale.ROOT, "%-26s %12d %10.3f%n", "all system calls", total, total / (double) answered));
                r.addProperty("all", round(total / (double) answered));
            }
            if (emptyReads != null) {
                text.append(String.format(Locale.ROOT, "%-26s %12d %10.3f%n", "reads that found nothing", emptyReads, emptyReads / (double) answered));
                r.addProperty("empty_reads", round(emptyReads / (double) answered));
            }
            if (failedCtl != null) {
                text.append(String.format(Locale.ROOT, "%-26s %12d %10.3f%n", "epoll_ctl failed", failedCtl, failedCtl / (double) answered));
                r.addProperty("failed_epoll_ctl", round(failedCtl / (double) answered));
            }
            Files.writeString(table, text);
            return r;
        }
    }

    private static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }

    /** perf stat, CSV to a file: one counter per call of {@link #CALLS}, then all calls, empty reads, failed epoll_ctl. */
    static List<String> perfCommand(long pid, Path out) {
        List<String> c = new java.util.ArrayList<>(List.of("perf", "stat", "-x,", "-p", String.valueOf(pid), "-o", out.toString()));
        for (String call : CALLS) c.addAll(List.of("-e", "syscalls:sys_enter_" + call));
        c.addAll(List.of("-e", "raw_syscalls:sys_enter"));
        for (String read : READS) c.addAll(List.of("-e", "syscalls:sys_exit_" + read, "--filter", "ret == -11"));
        c.addAll(List.of("-e", "syscalls:sys_exit_epoll_ctl", "--filter", "ret < 0"));
        return c;
    }

    /** perf stat -x, lines: {@code COUNT,,EVENT,...}, in the order of {@link #perfCommand}. */
    static Map<String, Long> parsePerf(List<String> lines) {
        Map<String, Long> calls = new LinkedHashMap<>();
        for (String line : lines) {
            String[] f = line.split(",");
            if (f.length < 3 || !f[0].matches("\\d+")) continue;
            long n = Long.parseLong(f[0]);
            String event = f[2];
            if (event.equals("raw_syscalls:sys_enter")) calls.merge("all", n, Long::sum);
            else if (event.startsWith("syscalls:sys_enter_")) calls.merge(event.substring("syscalls:sys_enter_".length()), n, Long::sum);
            else if (event.equals("syscalls:sys_exit_epoll_ctl")) calls.merge("epoll_ctl failed", n, Long::sum);
            else if (event.startsWith("syscalls:sys_exit_")) calls.merge("reads that found nothing", n, Long::sum);
        }
        return calls;
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
    static Map<String, Long> parseStrace(List<String> lines) {
        Map<String, Long> calls = new LinkedHashMap<>();
        for (String line : lines) {
            String[] f = line.trim().split("\\s+");
            if (f.length < 5 || !f[0].matches("[0-9.]+") || f[f.length - 1].equals("total")) continue;
            calls.merge(f[f.length - 1], Long.parseLong(f[3]), Long::sum);
        }
        return calls;
    }
}
