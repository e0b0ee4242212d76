package loomframe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code ./loomframe} launcher picks a JDK 21+ even when JAVA_HOME and the PATH point at an
 * older one. {@code LOOMFRAME_PRINT_JAVA=1} makes it print its choice and exit, so no jar is needed.
 */
@Timeout(60)
class LauncherTest {
    private static final Path LAUNCHER = Path.of("loomframe").toAbsolutePath();

    @Test
    void launcherIsCommittedExecutable() {
        assertTrue(Files.isExecutable(LAUNCHER), LAUNCHER + " must be executable");
    }

    @Test
    void picksAJdk21OrNewerWhenJavaHomeAndPathPointAtAnOlderOne(@TempDir Path elsewhere) throws Exception {
        Path old = olderJdk().orElse(null);
        assumeTrue(old != null, "no JDK older than 21 on this machine to point at");
        // run from another directory: the launcher finds its jar next to itself
        Result r = launch(elsewhere, Map.of("JAVA_HOME", old.toString(), "PATH", old.resolve("bin") + ":/usr/bin:/bin",
                "LOOMFRAME_PRINT_JAVA", "1"));
        assertEquals(0, r.code, r.toString());
        Path chosen = Path.of(r.out.strip());
        assertTrue(featureVersion(chosen) >= 21, "chose " + chosen + " (" + featureVersion(chosen) + ")");
    }

    @Test
    void usesJavaHomeWhenItIs21OrNewer(@TempDir Path elsewhere) throws Exception {
        Path home = Path.of(System.getProperty("java.home"));
        Result r = launch(elsewhere, Map.of("JAVA_HOME", home.toString(), "PATH", "/usr/bin:/bin", "LOOMFRAME_PRINT_JAVA", "1"));
        assertEquals(0, r.code, r.toString());
        assertEquals(home.resolve("bin/java").toRealPath(), Path.of(r.out.strip()).toRealPath());
    }

    @Test
    void exits2WithAMessageWhenNoJdk21Exists(@TempDir Path emptyJvmDir) throws Exception {
        Path old = olderJdk().orElse(null);
        assumeTrue(old != null, "no JDK older than 21 on this machine to point at");
        assumeTrue(!Files.isExecutable(Path.of("/usr/bin/java")) || featureVersion(Path.of("/usr/bin/java")) < 21,
                "/usr/bin/java is 21+ here");
        Result r = launch(emptyJvmDir, Map.of("JAVA_HOME", old.toString(), "PATH", old.resolve("bin") + ":/usr/bin:/bin",
                "LOOMFRAME_JVM_DIRS", emptyJvmDir.toString(), "LOOMFRAME_PRINT_JAVA", "1"));
        assertEquals(2, r.code, r.toString());
        assertEquals("", r.out);
        assertTrue(r.err.startsWith("loomframe: no JDK 21 or newer found"), r.err);
    }

    private record Result(int code, String out, String err) {}

    private static Result launch(Path workDir, Map<String, String> env) throws IOException, InterruptedException {
        var pb = new ProcessBuilder("bash", LAUNCHER.toString()).directory(workDir.toFile());
        pb.environment().clear();
        pb.environment().put("HOME", System.getProperty("user.home"));
        pb.environment().putAll(env);
        Process p = pb.start();
        p.getOutputStream().close();
        var stderr = new java.util.concurrent.CompletableFuture<String>();
        Thread.ofVirtual().start(() -> {   // read both streams at once: neither pipe may fill up
            try {
                stderr.complete(new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                stderr.completeExceptionally(e);
            }
        });
        String stdout = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "launcher finished");
        try {
            return new Result(p.exitValue(), stdout, stderr.get(10, TimeUnit.SECONDS));
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IOException("reading the launcher's stderr", e);
        }
    }

    /** A JDK older than 21 under /usr/lib/jvm (found by asking each, never by a fixed path). */
    static Optional<Path> olderJdk() throws IOException {
        Path jvm = Path.of("/usr/lib/jvm");
        if (!Files.isDirectory(jvm)) return Optional.empty();
        try (Stream<Path> homes = Files.list(jvm)) {
            List<Path> candidates = new ArrayList<>(homes.filter(h -> Files.isExecutable(h.resolve("bin/java"))).sorted().toList());
            for (Path home : candidates) {
                int v = featureVersion(home.resolve("bin/java"));
                if (v > 0 && v < 21) return Optional.of(home);
            }
        }
        return Optional.empty();
    }

    /** {@code java.specification.version} of a java binary: 17, 21, 25...; -1 if it does not run. */
    static int featureVersion(Path java) {
        try {
            Process p = new ProcessBuilder(java.toString(), "-XshowSettings:properties", "-version").redirectErrorStream(true).start();
            String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor(20, TimeUnit.SECONDS);
            return text.lines().map(String::strip).filter(l -> l.startsWith("java.specification.version = "))
                    .map(l -> l.substring(l.indexOf('=') + 1).strip().replaceFirst("^1\\.", ""))
                    .mapToInt(Integer::parseInt).findFirst().orElse(-1);
        } catch (IOException | InterruptedException | NumberFormatException e) {
            return -1;
        }
    }
}
