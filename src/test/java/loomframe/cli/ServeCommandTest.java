package loomframe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import loomframe.server.Impl;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** {@code serve} in a child JVM, as scripts run it: readiness line, clients, SIGTERM, final statistics. */
@Timeout(60)
class ServeCommandTest {
    private static final Pattern READY = Pattern.compile(
            "listening on 127\\.0\\.0\\.1:(\\d+) \\(impl (\\w+), handler echo, 4-byte little-endian length, max frame 16MiB, "
                    + "idle timeout 1m, max connections 10000, max buffered \\w+, shutdown timeout 10s(?:, io threads \\d+)?\\)");

    @ParameterizedTest
    @EnumSource(Impl.class)
    void printsReadinessServesTheCSharpSampleClientAndExits0OnSigterm(Impl impl) throws Exception {
        try (var serve = Child.start("serve", "--port", "0", "--impl", impl.cliName(), "--byte-order", "little",
                "--stats-interval", "200ms")) {
            String ready = serve.nextLine();
            Matcher m = READY.matcher(ready);
            assertTrue(m.matches(), "readiness line: " + ready);
            assertEquals(impl.cliName(), m.group(2));
            int port = Integer.parseInt(m.group(1));
            assertTrue(serve.nextLine().contains("use --host 0.0.0.0 to accept remote clients"));

            csharpSampleClient(port, "hello from C#");  // one little-endian frame, then close
            CliRun send = CliRun.of("send", "--port", "" + port, "--byte-order", "little", "--message", "hi", "--count", "2");
            assertEquals(0, send.code(), send.toString());
            assertTrue(serve.nextLine().startsWith("stats: connections="), "periodic statistics");

            serve.process.destroy();  // SIGTERM
            assertTrue(serve.process.waitFor(30, TimeUnit.SECONDS), "serve ends after SIGTERM");
            assertEquals(0, serve.process.exitValue(), serve.toString());
            String last = serve.lastLine();  // the final line, after any periodic ones
            assertTrue(last.startsWith("final stats: connections=2 open=0 frames=3 "), serve.toString());
            assertTrue(last.contains(" errors=0 rejected=0"), serve.toString());
            assertTrue(serve.errLines().stream().noneMatch(l -> l.contains(" WARN ") || l.contains(" ERROR ")),
                    "a clean close after a complete frame is normal: " + serve);
        }
    }

    /** {@code --io-threads}: the blocking server's carriers are the JVM's, so serve sets them before any starts. */
    @ParameterizedTest
    @EnumSource(value = Impl.class, names = {"BLOCKING", "ASYNC"})
    void ioThreadsSizesTheThreadsThatRunConnections(Impl impl) throws Exception {
        try (var serve = Child.start("serve", "--port", "0", "--impl", impl.cliName(), "--io-threads", "1")) {
            String ready = serve.nextLine();
            assertTrue(ready.endsWith(", io threads 1)"), ready);
            int port = Integer.parseInt(ready.replaceFirst("^listening on 127\\.0\\.0\\.1:(\\d+) .*", "$1"));
            CliRun send = CliRun.of("send", "--port", "" + port, "--message", "hi", "--count", "3");
            assertEquals(0, send.code(), send.toString());
            serve.process.destroy();
            assertTrue(serve.process.waitFor(30, TimeUnit.SECONDS), "serve ends after SIGTERM");
            assertEquals(0, serve.process.exitValue(), serve.toString());
            assertTrue(serve.errLines().stream().noneMatch(l -> l.contains(" WARN ")), "serve sized them itself: " + serve);
        }
    }

    @Test
    void portInUseExits1WithOneLine() throws Exception {
        try (var taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            CliRun run = CliRun.of("serve", "--port", "" + taken.getLocalPort());
            assertEquals(1, run.code(), run.toString());
            assertTrue(run.err().startsWith("loomframe: cannot listen on 127.0.0.1:" + taken.getLocalPort()), run.err());
            assertEquals(1, run.err().lines().count(), run.toString());
            assertEquals("", run.out());
        }
    }

    /** What the classic C# sample's client does: {@code [BitConverter.GetBytes(length)][data]}, then close. */
    private static void csharpSampleClient(int port, String message) throws IOException {
        byte[] data = message.getBytes(StandardCharsets.UTF_8);
        try (var socket = new Socket("127.0.0.1", port)) {
            OutputStream out = socket.getOutputStream();
            out.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(data.length).array());
            out.write(data);
            out.flush();
        }
    }

    /**
     * A child JVM running loomframe on this test's class path. Its output goes to files, not pipes:
     * the JDK closes a child's pipe streams when it exits, losing lines a reader has not taken yet
     * (and the final statistics line is written just before exit).
     */
    static final class Child implements AutoCloseable {
        final Process process;
        private final Path out;
        private final Path err;
        private int linesTaken;

        private Child(Process process, Path out, Path err) {
            this.process = process;
            this.out = out;
            this.err = err;
        }

        static Child start(String... args) throws IOException {
            String java = ProcessHandle.current().info().command()
                    .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            var command = new ArrayList<>(List.of(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"), Main.class.getName()));
            command.addAll(List.of(args));
            Path out = Files.createTempFile("loomframe-serve", ".out");
            Path err = Files.createTempFile("loomframe-serve", ".err");
            return new Child(new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start(), out, err);
        }

        /** The next complete line on stdout, waiting up to 20 s for it. */
        String nextLine() throws IOException, InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (System.nanoTime() < deadline) {
                String text = Files.readString(out, StandardCharsets.UTF_8);
                List<String> complete = text.lines().limit(text.endsWith("\n") ? Long.MAX_VALUE : Math.max(0, text.lines().count() - 1)).toList();
                if (complete.size() > linesTaken) return complete.get(linesTaken++);
                Thread.sleep(20);
            }
            throw new AssertionError("no line on stdout within 20 s: " + this);
        }

        String lastLine() throws IOException {
            List<String> all = Files.readAllLines(out, StandardCharsets.UTF_8);
            return all.isEmpty() ? "" : all.get(all.size() - 1);
        }

        List<String> errLines() throws IOException {
            return Files.readAllLines(err, StandardCharsets.UTF_8);
        }

        @Override
        public String toString() {
            try {
                return "\n--- child stdout\n" + Files.readString(out) + "--- child stderr\n" + Files.readString(err);
            } catch (IOException e) {
                return e.toString();
            }
        }

        @Override
        public void close() throws IOException {
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }
}
