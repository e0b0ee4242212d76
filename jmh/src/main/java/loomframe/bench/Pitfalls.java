package loomframe.bench;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/*
 * The figures of docs/COMPARISON.md's pitfalls section, from the two demos in docs/demo/ that a
 * reader can run by hand (each prints a readable table without --json):
 *
 *   VirtualThreadPitfalls.java  on ONE carrier (-Djdk.virtualThreadScheduler.parallelism=1): four
 *                               200 ms sleeps inside synchronized and inside a ReentrantLock; a task
 *                               queued behind 300 ms of CPU; a 100 ms park after Thread.sleep and
 *                               after LockSupport.parkNanos
 *   SlowHandler.java            a handler that blocks 200 ms, 8 frames at once, on each server
 *
 * Each demo runs RUNS times in a fresh JVM (the JDK that runs this, in source-file mode); every
 * run's figures are kept, and the docs show the median and the range.
 *
 * HOW TO RUN (from the repository root, after jmh/build.sh)
 *   jmh/bench --main loomframe.bench.Pitfalls [--runs 4] [--out jmh/results/pitfalls.json]
 */
public final class Pitfalls {

    public static void main(String[] args) throws Exception {
        int runs = 4;
        Path out = Harness.root().resolve("jmh/results/pitfalls.json");
        for (Args a = new Args("Pitfalls", "[--runs 4] [--out FILE]", args); a.next(); ) {
            switch (a.name()) {
                case "--runs" -> runs = a.integer();
                case "--out" -> out = Path.of(a.value());
                default -> a.unknown();
            }
        }
        JsonObject result = Harness.resultHeader("Pitfalls", args);
        JsonArray threads = new JsonArray(), slow = new JsonArray();
        result.add("virtual_thread_pitfalls", threads);
        result.add("slow_handler", slow);
        Path demo = Harness.root().resolve("docs/demo");
        String classes = Harness.loomframeJar().toString();
        for (int i = 0; i < runs; i++) {
            threads.add(run(List.of(Harness.java(), "-Djdk.virtualThreadScheduler.parallelism=1",
                    demo.resolve("VirtualThreadPitfalls.java").toString(), "--json")));
            slow.add(run(List.of(Harness.java(), "-cp", classes, demo.resolve("SlowHandler.java").toString(), "--json")));
            System.out.println("run " + (i + 1) + ": " + threads.get(i) + " " + slow.get(i));
        }
        Harness.writeJson(out, result);
        System.out.println("wrote " + out);
    }

    /** Runs one demo and returns the JSON line it printed last. */
    private static JsonObject run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(new ArrayList<>(command)).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed: " + output);
        }
        List<String> lines = output.lines().filter(l -> l.startsWith("{")).toList();
        if (lines.isEmpty()) throw new IOException(String.join(" ", command) + " printed no figures: " + output);
        return JsonParser.parseString(lines.get(lines.size() - 1)).getAsJsonObject();
    }
}
