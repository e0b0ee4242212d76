package loomframe.bench;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Locale;

/**
 * Where the pieces of the benchmark harness are, for code that runs in the benchmark jar: the
 * repository, the loomframe CLI jar (the servers under test run from it, as users run them), this
 * jar (for the Netty reference's main), the native tools ({@code loadgen}, {@code rawecho}, built
 * from {@code jmh/native/} by {@code jmh/native/build.sh}) and the java that runs the servers.
 *
 * <p>The repository is found from this jar's location ({@code ROOT/jmh/target/benchmarks.jar}), or
 * from {@code -Dloomframe.root=DIR}. The servers run on the same java as this process (a JDK 21+,
 * chosen by {@code jmh/bench}).
 */
final class Harness {
    private Harness() {}

    static Path root() {
        String prop = System.getProperty("loomframe.root");
        if (prop != null && !prop.isBlank()) return Path.of(prop).toAbsolutePath();
        try {
            Path jar = Path.of(Harness.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            for (Path p = jar.toAbsolutePath(); p != null; p = p.getParent()) {
                if (Files.exists(p.resolve("jmh/pom.xml")) && Files.exists(p.resolve("pom.xml"))) return p;
            }
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
        return Path.of("").toAbsolutePath();
    }

    /** The java running this process: the servers under test use the same one. */
    static String java() {
        return ProcessHandle.current().info().command().orElse("java");
    }

    static Path benchmarkJar() {
        try {
            return Path.of(Harness.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code target/loomframe.jar}; built with {@code ./mvnw -B -q package -DskipTests} when missing. */
    static Path loomframeJar() {
        Path jar = root().resolve("target/loomframe.jar");
        if (!Files.exists(jar)) {
            System.err.println("harness: building " + jar);
            run(List.of("./mvnw", "-B", "-q", "package", "-DskipTests"), "build of target/loomframe.jar");
        }
        return jar;
    }

    /** The directory with loadgen and rawecho, compiled by jmh/native/build.sh if they are missing or stale. */
    static Path nativeTools() {
        Path dir = root().resolve("jmh/target");
        run(List.of("bash", root().resolve("jmh/native/build.sh").toString()), "jmh/native/build.sh");
        return dir;
    }

    private static void run(List<String> command, String what) {
        try {
            Process p = new ProcessBuilder(command).directory(root().toFile())
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            if (p.waitFor() != 0) throw new IllegalStateException(what + " failed (exit " + p.exitValue() + ")");
        } catch (IOException e) {
            throw new UncheckedIOException(what + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(what + " interrupted", e);
        }
    }

    /** The machine, the java and the code version, for the header of a results file. */
    static String environmentJson() {
        return String.format(Locale.ROOT,
                "\"host\":\"%s\",\"cpus\":%d,\"java\":\"%s\",\"commit\":\"%s\",\"started\":\"%s\"",
                uname(), Runtime.getRuntime().availableProcessors(),
                System.getProperty("java.vm.name") + " " + Runtime.version(), commit(), Instant.now());
    }

    private static String uname() {
        try {
            String release = Files.readString(Path.of("/proc/sys/kernel/osrelease")).trim();
            return "Linux " + release + " " + System.getProperty("os.arch");
        } catch (IOException e) {
            return System.getProperty("os.name") + " " + System.getProperty("os.arch");
        }
    }

    /**
     * The code measured: HEAD, with "-dirty" if tracked code differs from it. The results and the
     * documents generated from them do not count: the runs of one session write them one after
     * another, and the later runs measured the same code.
     */
    private static String commit() {
        String head = git("rev-parse", "--short", "HEAD");
        if (head == null) return "unknown";
        String changed = git("status", "--porcelain", "--untracked-files=no", "--", ".", ":(exclude)jmh/results",
                ":(exclude,glob)docs/*.md", ":(exclude,glob)docs/*.png", ":(exclude)README.md");
        return changed == null || !changed.isEmpty() ? head + "-dirty" : head;
    }

    private static String git(String... args) {
        var command = new java.util.ArrayList<String>();
        command.add("git");
        command.addAll(java.util.List.of(args));
        try {
            Process p = new ProcessBuilder(command).directory(root().toFile()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String out = new String(p.getInputStream().readAllBytes()).trim();
            return p.waitFor() == 0 ? out : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** The head of a results file: the machine, the java, the code, which tool and the command that ran. */
    static JsonObject resultHeader(String tool, String[] args) {
        JsonObject r = JsonParser.parseString("{" + environmentJson() + "}").getAsJsonObject();
        r.addProperty("tool", tool);
        r.addProperty("command", "jmh/bench --main loomframe.bench." + tool + (args.length > 0 ? " " + String.join(" ", args) : ""));
        return r;
    }

    /** Writes a results file, pretty-printed (diffs between runs stay readable). */
    static void writeJson(Path out, JsonObject json) throws IOException {
        if (out.toAbsolutePath().getParent() != null) Files.createDirectories(out.toAbsolutePath().getParent());
        Files.writeString(out, new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create().toJson(json) + "\n");
    }

    /**
     * Closes a results file: when it finished and how long it took, written; then the runs that
     * failed (lost, corrupt or refused frames, a server that would not start) are counted, and with
     * {@code failOnError} (CI) the process exits 1 if there are any. Unsupported points are not failures.
     */
    static void finish(Path out, JsonObject result, long startedNanos, boolean failOnError, JsonArray... runs) throws IOException {
        long seconds = Math.round((System.nanoTime() - startedNanos) / 1e9);
        result.addProperty("finished", Instant.now().toString());
        result.addProperty("elapsed_s", seconds);
        writeJson(out, result);
        long all = 0, failed = 0;
        for (JsonArray a : runs) {
            all += a.size();
            failed += a.asList().stream().filter(r -> r.getAsJsonObject().has("error")).count();
        }
        System.out.println("wrote " + out + " (" + all + " runs in " + seconds + " s)");
        if (failed > 0) {
            System.out.println(failed + " runs failed: see their \"error\" in " + out);
            if (failOnError) System.exit(1);
        }
    }

    /** Runs {@code jcmd PID COMMAND...} with the JDK of this process; returns what it printed. */
    static String jcmd(long pid, String... command) throws IOException, InterruptedException {
        List<String> c = new java.util.ArrayList<>(List.of(Path.of(java()).resolveSibling("jcmd").toString(), String.valueOf(pid)));
        c.addAll(List.of(command));
        Process p = new ProcessBuilder(c).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", c) + " failed: " + out);
        }
        return out;
    }

    /** The 1-minute load average, logged before every run so a disturbed one can be spotted. */
    static double loadAverage() {
        try {
            return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }
}
