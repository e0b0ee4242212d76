package loomframe.bench;

import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

/*
 * Where a server's CPU and allocation go during one echo case: a JFR recording of the server
 * process, summarised as text.
 *
 * WHAT IS MEASURED
 *   A fresh server started with -XX:StartFlightRecording:settings=profile,jdk.ExecutionSample#period=1ms
 *   (the only flag added),
 *   one load generator run (2 s warm-up, 5 s measured), then jcmd PID JFR.dump and SIGTERM. The summary counts, over the whole recording:
 *     hot methods      jdk.ExecutionSample by the top frame (self time) and by any frame (total),
 *                      and the most frequent stack
 *     allocation       jdk.ObjectAllocationSample weight by the allocating frame and by class
 *   Netty and loomframe both run Java code only on their own threads, so the samples are the server's.
 *
 * OUTPUT
 *   jmh/results/profiles/jfr-CASE-SERVER.txt
 *
 * HOW TO RUN
 *   jmh/profile-jfr.sh                                  (blocking, async, netty at 1k:100:1 and 1m:1:16; ~2 min)
 *   jmh/bench --main loomframe.bench.JfrProfile --servers netty-merge --cases 1m:1:16
 *   options: --servers LIST  --cases LIST  --out DIR  --top N (20)
 */
public final class JfrProfile {

    public static void main(String[] args) throws Exception {
        List<String> servers = List.of("blocking", "async", "netty");
        List<String> cases = List.of("1k:100:1", "1m:1:16");
        Path out = Harness.root().resolve("jmh/results/profiles");
        Path logs = Path.of("/tmp/loomframe-bench-logs");
        int top = 20;
        for (Args a = new Args("JfrProfile", "[--servers blocking,async,netty] [--cases 1k:100:1,1m:1:16] [--out DIR] [--top 20]", args); a.next(); ) {
            switch (a.name()) {
                case "--servers" -> servers = a.list();
                case "--cases" -> cases = a.list();
                case "--out" -> out = Path.of(a.value());
                case "--top" -> top = a.integer();
                default -> a.unknown();
            }
        }
        Files.createDirectories(out);
        for (String c : cases) {
            EchoRounds.Case echo = EchoRounds.Case.parse(c);
            for (String server : servers) {
                String name = echo.name().replace(':', '_') + "-" + server;
                Path jfr = Path.of(System.getProperty("java.io.tmpdir"), "loomframe-" + name + ".jfr");
                Files.deleteIfExists(jfr);
                var spec = ServerProcess.Spec.echo(server).withJvmArgs(
                        // profile settings, with a Java sample every 1 ms instead of 10-20: enough samples in 7 s.
                        List.of("-XX:StartFlightRecording:settings=profile,jdk.ExecutionSample#period=1ms,name=bench"));
                JsonObject run = new JsonObject();
                // Dumped with jcmd before SIGTERM: loomframe's shutdown ends with Runtime.halt, which
                // skips the JVM's own dump-on-exit.
                EchoRounds.measure(run, spec, null, LoadGen.Load.closed(echo.connections(), echo.size(), echo.pipeline(), 2, 5), logs,
                        "jfr-" + name, p -> Harness.jcmd(p.pid(), "JFR.dump", "name=bench", "filename=" + jfr));
                if (!run.has("loadgen")) throw new IOException(name + ": " + run);
                Path text = out.resolve("jfr-" + name + ".txt");
                Files.writeString(text, summary(jfr, run, echo, server, top));
                Files.deleteIfExists(jfr);
                System.out.println("wrote " + text);
            }
        }
    }

    static String summary(Path jfr, JsonObject run, EchoRounds.Case c, String server, int top) throws IOException {
        Map<String, Long> self = new HashMap<>(), total = new HashMap<>(), allocSite = new HashMap<>(), allocClass = new HashMap<>(),
                stacks = new HashMap<>();
        long samples = 0, allocated = 0;
        for (RecordedEvent e : RecordingFile.readAllEvents(jfr)) {
            String type = e.getEventType().getName();
            RecordedStackTrace st = e.getStackTrace();
            if (type.equals("jdk.ExecutionSample") && st != null && !st.getFrames().isEmpty()) {
                samples++;
                self.merge(method(st.getFrames().get(0)), 1L, Long::sum);
                st.getFrames().stream().map(JfrProfile::method).distinct().forEach(m -> total.merge(m, 1L, Long::sum));
                stacks.merge(String.join("\n      ", st.getFrames().stream().limit(12).map(JfrProfile::method).toList()), 1L, Long::sum);
            } else if (type.equals("jdk.ObjectAllocationSample")) {
                long w = e.getLong("weight");
                allocated += w;
                allocClass.merge(e.getClass("objectClass").getName(), w, Long::sum);
                if (st != null && !st.getFrames().isEmpty()) allocSite.merge(method(st.getFrames().get(0)), w, Long::sum);
            }
        }
        JsonObject l = run.getAsJsonObject("loadgen");
        long frames = l.get("frames").getAsLong();
        StringBuilder s = new StringBuilder(String.format(Locale.ROOT,
                "# JFR (settings=profile) of %s, case %s: %d connections x %d in flight, %d B payload%n# %s%n"
                        + "# measured window: %,.0f frames/s, server CPU %.2f µs/frame; the recording spans start-up, warm-up and window%n%n",
                server, c.name(), c.connections(), c.pipeline(), c.size(), run.get("ready").getAsString(), l.get("frames_per_s").getAsDouble(),
                l.getAsJsonObject("server").get("cpu_ns_per_frame").getAsDouble() / 1000));
        s.append(String.format(Locale.ROOT, "## Hot methods: %d execution samples%n%n%-8s %-8s method%n", samples, "self %", "total %"));
        final long n = Math.max(1, samples);
        self.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(top).forEach(e ->
                s.append(String.format(Locale.ROOT, "%6.1f   %6.1f   %s%n", 100.0 * e.getValue() / n, 100.0 * total.getOrDefault(e.getKey(), 0L) / n, e.getKey())));
        stacks.entrySet().stream().max(Map.Entry.comparingByValue()).ifPresent(e -> s.append(String.format(Locale.ROOT,
                "%n## The most frequent stack (its first 12 frames): %.1f %% of the samples%n%n      %s%n", 100.0 * e.getValue() / n, e.getKey())));
        s.append(String.format(Locale.ROOT, "%n## Allocation: %,d MiB sampled (about %,.0f bytes per frame measured)%n%n%-8s site%n",
                allocated >> 20, frames > 0 ? allocated / (double) frames : 0, "share %"));
        final long a = Math.max(1, allocated);
        allocSite.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(top / 2).forEach(e ->
                s.append(String.format(Locale.ROOT, "%6.1f   %s%n", 100.0 * e.getValue() / a, e.getKey())));
        s.append(String.format(Locale.ROOT, "%n%-8s class%n", "share %"));
        allocClass.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(top / 2).forEach(e ->
                s.append(String.format(Locale.ROOT, "%6.1f   %s%n", 100.0 * e.getValue() / a, e.getKey())));
        return s.toString();
    }

    private static String method(RecordedFrame f) {
        return f.getMethod().getType().getName() + "." + f.getMethod().getName() + (f.getLineNumber() > 0 ? ":" + f.getLineNumber() : "");
    }
}
