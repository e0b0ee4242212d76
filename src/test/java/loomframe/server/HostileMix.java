package loomframe.server;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * The hostile mix, all at once, against a running server (the one {@code MEASURING.md} and issue
 * 11 describe): connections announcing 16 MiB and sending 4 KiB; honest clients sending real
 * 16 MiB frames back to back and checking every echo; clients pipelining 64 KiB frames and never
 * reading; clients trickling one byte a second; and a good client doing 1 KiB echoes on 4
 * connections. Every attacker the server closes is reopened, so the pressure lasts. It records
 * what a judge looks at: the good client's errors and latency, whether an honest sender was ever
 * closed and how many frames each completed, when tricklers were closed, and whether anyone was
 * closed before its idle deadline.
 *
 * <p>Used by {@code SmallHeapUnderAttackTest} (against a child JVM at {@code -Xmx64m}) and by
 * {@code scripts/hostile.sh}:
 * <pre>
 *   java -cp target/classes:target/test-classes:HdrHistogram.jar loomframe.server.HostileMix HOST PORT SECONDS IDLE_SECONDS SEED
 * </pre>
 */
public final class HostileMix implements AutoCloseable {
    static final int BIG = 16 * 1024 * 1024;
    /** Slack for "closed before its deadline": the server's clock starts a little after ours. */
    private static final long EARLY_SLACK_NANOS = 250_000_000L;

    /** How many of each; {@link #FULL} is the mix of the issue. */
    public record Size(int announcers, int honest, int pipeliners, int tricklers, int good) {
        public static final Size FULL = new Size(1000, 20, 100, 100, 4);
    }

    private final String host;
    private final int port;
    private final long idleNanos;
    private final Size size;
    private final byte[] bigPayload;
    private final long start = System.nanoTime();
    private volatile boolean running = true;
    private volatile long signalledAt;                           // 0 until shutdown was signalled
    private final List<Thread> threads = new ArrayList<>();
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final Map<String, LongAdder> counts = new ConcurrentHashMap<>();
    private final List<String> problems = new CopyOnWriteArrayList<>();
    private final Recorder goodLatency = new Recorder(3);
    private final AtomicLong goodFrames = new AtomicLong();
    private final long[] honestFrames;
    private final List<Double> tricklerClosedAfter = new CopyOnWriteArrayList<>();

    public HostileMix(String host, int port, Duration idleTimeout, long seed, Size size) {
        this.host = host;
        this.port = port;
        this.idleNanos = idleTimeout.toNanos();
        this.size = size;
        this.bigPayload = new byte[BIG];
        new Random(seed).nextBytes(bigPayload);
        this.honestFrames = new long[size.honest()];
    }

    /** Starts every attacker and the good client. */
    public HostileMix start() {
        for (int i = 0; i < size.announcers(); i++) threads.add(reconnecting("announcer", this::announce));
        for (int i = 0; i < size.honest(); i++) {
            int n = i;
            threads.add(reconnecting("honest", (s, connectedAt) -> honest(s, n)));
        }
        for (int i = 0; i < size.pipeliners(); i++) threads.add(reconnecting("pipeliner", this::pipeline));
        for (int i = 0; i < size.tricklers(); i++) threads.add(reconnecting("trickler", this::trickle));
        for (int i = 0; i < size.good(); i++) threads.add(Thread.ofPlatform().name("good-" + i).start(this::good));
        return this;
    }

    /** The server was told to shut down now: closes from here on are expected, not problems. */
    public void shutdownSignalled() {
        signalledAt = System.nanoTime();
    }

    @Override
    public void close() {
        running = false;
        for (Socket s : open) closeQuietly(s);
        try {
            for (Thread t : threads) t.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // --- what each kind does -------------------------------------------------------------------

    private interface Session {
        void run(Socket s, long connectedAt) throws IOException;
    }

    /** Connects, runs the session, notes how it ended; again until stopped. */
    private Thread reconnecting(String kind, Session session) {
        return Thread.ofVirtual().start(() -> {
            while (running) {
                Socket s = new Socket();
                long connectedAt = 0;
                try {
                    s.connect(new InetSocketAddress(host, port), 10_000);
                    s.setTcpNoDelay(true);
                    open.add(s);
                    connectedAt = System.nanoTime();
                    count(kind + ".connects");
                    session.run(s, connectedAt);
                } catch (IOException e) {
                    if (connectedAt == 0) {
                        if (signalledAt == 0) count(kind + ".connect-failed");
                        sleep(50);
                    } else {
                        closedByServer(kind, connectedAt, e);
                    }
                } finally {
                    open.remove(s);
                    closeQuietly(s);
                }
            }
        });
    }

    private void closedByServer(String kind, long connectedAt, IOException e) {
        if (!running) return;
        long now = System.nanoTime();
        boolean afterSignal = signalledAt != 0 && now >= signalledAt;
        count(kind + (afterSignal ? ".closed-at-shutdown" : ".closed"));
        if (afterSignal) return;
        double after = (now - connectedAt) / 1e9;
        switch (kind) {
            case "honest" -> problem(String.format("honest sender closed by the server %.2f s after connecting: %s", after, e));
            case "trickler" -> tricklerClosedAfter.add(after);
            default -> {
                if (now - connectedAt < idleNanos - EARLY_SLACK_NANOS) {
                    problem(String.format("%s closed %.2f s after connecting, before its %.0f s deadline: %s",
                            kind, after, idleNanos / 1e9, e));
                }
            }
        }
        sleep(20);
    }

    /** "16 MiB coming", 4 KiB of it, then nothing: until the server closes it. */
    private void announce(Socket s, long connectedAt) throws IOException {
        s.getOutputStream().write(ByteBuffer.allocate(4 + 4096).putInt(BIG).array());
        if (s.getInputStream().read() >= 0) problem("an announcer got a reply");
        throw new IOException("closed");
    }

    /** Real 16 MiB frames, back to back, every echo checked as it arrives. */
    private void honest(Socket s, int n) throws IOException {
        s.setSoTimeout(120_000);
        OutputStream out = s.getOutputStream();
        DataInputStream in = new DataInputStream(s.getInputStream());
        byte[] header = ByteBuffer.allocate(4).putInt(BIG).array();
        byte[] echo = new byte[64 * 1024];
        while (running) {
            out.write(header);
            out.write(bigPayload);
            int length = in.readInt();
            if (length != BIG) problem("honest sender " + n + ": echo announces " + length + " bytes");
            for (int at = 0; at < BIG; ) {
                int got = in.read(echo, 0, Math.min(echo.length, BIG - at));
                if (got < 0) throw new IOException("end of stream in the echo after " + at + " bytes");
                if (!java.util.Arrays.equals(echo, 0, got, bigPayload, at, at + got)) {
                    problem("honest sender " + n + ": echo differs near byte " + at);
                }
                at += got;
            }
            synchronized (honestFrames) {
                honestFrames[n]++;
            }
        }
    }

    /** 64 KiB frames until the kernel takes no more; never a read. */
    private void pipeline(Socket s, long connectedAt) throws IOException {
        byte[] frame = ByteBuffer.allocate(4 + 65_536).putInt(65_536).array();
        OutputStream out = s.getOutputStream();
        while (running) out.write(frame);
    }

    /** One byte a second of a 1 KiB frame; waits in a read, so that the server's close is seen when it happens. */
    private void trickle(Socket s, long connectedAt) throws IOException {
        OutputStream out = s.getOutputStream();
        InputStream in = s.getInputStream();
        s.setSoTimeout(1000);
        byte[] frame = ByteBuffer.allocate(4 + 1024).putInt(1024).array();
        for (int i = 0; i < frame.length && running; i++) {
            out.write(frame[i]);
            try {
                if (in.read() < 0) throw new IOException("closed");
                problem("a trickler got a reply");
            } catch (java.net.SocketTimeoutException e) {
                // a second went by: the next byte
            }
        }
        if (running) problem("a trickler completed its frame");
    }

    /** The good client: 1 KiB echoes in a closed loop, each checked, each timed. */
    private void good() {
        var random = new Random(Thread.currentThread().getName().hashCode());
        byte[] payload = new byte[1024];
        byte[] frame = new byte[4 + payload.length];
        byte[] echo = new byte[payload.length];
        while (running) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(host, port), 10_000);
                s.setTcpNoDelay(true);
                s.setSoTimeout(10_000);
                open.add(s);
                OutputStream out = s.getOutputStream();
                DataInputStream in = new DataInputStream(s.getInputStream());
                while (running) {
                    random.nextBytes(payload);
                    ByteBuffer.wrap(frame).putInt(payload.length).put(payload);
                    long sent = System.nanoTime();
                    out.write(frame);
                    try {
                        if (in.readInt() != payload.length) throw new IOException("wrong echo length");
                        in.readFully(echo);
                    } catch (IOException e) {
                        if (signalledAt != 0 && sent - signalledAt > -100_000_000L) return;   // sent as the server stopped
                        throw e;
                    }
                    long took = System.nanoTime() - sent;
                    if (!java.util.Arrays.equals(payload, echo)) throw new IOException("echo differs");
                    goodLatency.recordValue(took);
                    goodFrames.incrementAndGet();
                }
            } catch (IOException e) {
                if (running) {
                    problem("good client: " + e);
                    count("good.errors");
                    sleep(100);
                }
            }
        }
    }

    // --- the report ------------------------------------------------------------------------------

    /** What happened, for assertions and for the script's summary. */
    public record Report(long goodFrames, long goodErrors, double goodP50Millis, double goodP99Millis, double goodMaxMillis,
                         long[] honestFrames, List<Double> tricklerClosedAfterSeconds, Map<String, Long> counts,
                         List<String> problems) {
        public long honestFramesTotal() {
            long n = 0;
            for (long f : honestFrames) n += f;
            return n;
        }

        public String summary() {
            var sorted = new ArrayList<>(tricklerClosedAfterSeconds);
            Collections.sort(sorted);
            String trick = sorted.isEmpty() ? "none closed"
                    : String.format("closed %.1f-%.1f s after connecting (%d)", sorted.get(0), sorted.get(sorted.size() - 1), sorted.size());
            return String.format("good client: %d frames, %d errors, p50 %.2f ms, p99 %.2f ms, max %.1f ms%n"
                            + "honest 16 MiB senders: %d frames echoed intact in all, per sender %s%n"
                            + "tricklers: %s%nconnections: %s%nproblems (%d): %s",
                    goodFrames, goodErrors, goodP50Millis, goodP99Millis, goodMaxMillis, honestFramesTotal(),
                    java.util.Arrays.toString(honestFrames), trick, counts, problems.size(),
                    problems.isEmpty() ? "none" : String.join("\n  ", problems.subList(0, Math.min(20, problems.size()))));
        }
    }

    public Report report() {
        Histogram h = goodLatency.getIntervalHistogram();
        var sortedCounts = new TreeMap<String, Long>();
        counts.forEach((k, v) -> sortedCounts.put(k, v.sum()));
        long[] honest;
        synchronized (honestFrames) {
            honest = honestFrames.clone();
        }
        return new Report(goodFrames.get(), sortedCounts.getOrDefault("good.errors", 0L),
                h.getValueAtPercentile(50) / 1e6, h.getValueAtPercentile(99) / 1e6, h.getMaxValue() / 1e6,
                honest, List.copyOf(tricklerClosedAfter), sortedCounts, List.copyOf(problems));
    }

    private void problem(String what) {
        if (problems.size() < 200) problems.add(String.format("%.2f s: %s", (System.nanoTime() - start) / 1e9, what));
    }

    private void count(String key) {
        counts.computeIfAbsent(key, k -> new LongAdder()).increment();
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // gone anyway
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * {@code HostileMix HOST PORT SECONDS IDLE_SECONDS SEED [PID [full|good]]}: runs the mix (or, with
     * {@code good}, the good client alone: the baseline) for SECONDS, then, if PID is not 0, sends
     * that process SIGTERM while the attack goes on and waits for it to exit; prints the report.
     */
    public static void main(String[] args) throws Exception {
        String host = args[0];
        int port = Integer.parseInt(args[1]);
        long seconds = Long.parseLong(args[2]);
        Duration idle = Duration.ofSeconds(Long.parseLong(args[3]));
        long seed = Long.parseLong(args[4]);
        long pid = args.length > 5 ? Long.parseLong(args[5]) : 0;
        Size size = args.length > 6 && args[6].equals("good") ? new Size(0, 0, 0, 0, Size.FULL.good()) : Size.FULL;
        try (var mix = new HostileMix(host, port, idle, seed, size).start()) {
            Thread.sleep(seconds * 1000);
            if (pid > 0) {
                long signal = System.nanoTime();
                mix.shutdownSignalled();
                var server = ProcessHandle.of(pid);
                server.ifPresent(ProcessHandle::destroy);                      // SIGTERM, in the middle of the attack
                if (server.isPresent()) server.get().onExit().get(60, java.util.concurrent.TimeUnit.SECONDS);
                System.out.printf("server stopped %.2f s after SIGTERM%n", (System.nanoTime() - signal) / 1e9);
            }
            System.out.println(mix.report().summary());
        }
        System.exit(0);
    }
}
