package loomframe.server;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * Runs a server in a new JVM (the same java and classpath as this one) and reads what it prints:
 * {@link ChildServer}, or the real {@code loomframe serve}.
 */
final class ChildProcess implements AutoCloseable {
    final Process process;
    final int port;
    final List<String> stdout = new CopyOnWriteArrayList<>();
    final List<String> stderr = new CopyOnWriteArrayList<>();
    private final CompletableFuture<Integer> listening = new CompletableFuture<>();
    private final List<Thread> pumps = new ArrayList<>();

    ChildProcess(List<String> jvmOptions, String... args) throws Exception {
        this(jvmOptions, ChildServer.class.getName(), args);
    }

    /** {@code loomframe serve ARGS} (the real command line) in a child JVM. */
    static ChildProcess serve(List<String> jvmOptions, String... args) throws Exception {
        var all = new ArrayList<>(List.of("serve", "--port", "0"));
        all.addAll(List.of(args));
        return new ChildProcess(jvmOptions, "loomframe.cli.Main", all.toArray(String[]::new));
    }

    private ChildProcess(List<String> jvmOptions, String mainClass, String... args) throws Exception {
        String java = ProcessHandle.current().info().command().orElseThrow();
        List<String> command = new ArrayList<>(List.of(java));
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), mainClass));
        command.addAll(List.of(args));
        process = new ProcessBuilder(command).start();
        pump(new BufferedReader(new InputStreamReader(process.getInputStream())), stdout, true);
        pump(new BufferedReader(new InputStreamReader(process.getErrorStream())), stderr, false);
        try {
            port = listening.get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            process.destroyForcibly();
            throw new AssertionError("child server did not start: " + stderr, e);
        }
    }

    private void pump(BufferedReader reader, List<String> into, boolean watchForPort) {
        pumps.add(Thread.ofPlatform().daemon().start(() -> {
            try {
                for (String line; (line = reader.readLine()) != null; ) {
                    into.add(line);
                    if (watchForPort && line.startsWith("listening on ")) {
                        String hostPort = line.substring("listening on ".length()).split(" ")[0];
                        listening.complete(Integer.parseInt(hostPort.substring(hostPort.lastIndexOf(':') + 1)));
                    }
                }
            } catch (IOException e) {
                // the child is gone
            }
            listening.completeExceptionally(new IOException("child exited"));
        }));
    }

    /** The last line of stderr mentioning it, or everything, for failure messages. */
    String diagnostics() {
        List<String> err = stderr.size() > 40 ? stderr.subList(stderr.size() - 40, stderr.size()) : stderr;
        List<String> out = stdout.size() > 10 ? stdout.subList(stdout.size() - 10, stdout.size()) : stdout;
        return "\nchild stdout (tail): " + String.join("\n  ", out) + "\nchild stderr (tail): " + String.join("\n  ", err);
    }

    /** SIGTERM, then wait for the exit status. */
    int terminate() throws InterruptedException {
        // Not process.destroy(): it also closes our ends of the child's pipes, so whatever the
        // child prints while shutting down (the final stats line) would be lost.
        process.toHandle().destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("child server did not exit after SIGTERM" + diagnostics());
        }
        for (Thread t : pumps) t.join(5_000);            // everything it printed has been read
        return process.exitValue();
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
