/*
 * Hostile clients against a running loomframe server, with a good client measuring what they cost.
 * A single-file program for the JDK 21+ launcher; scripts/hostile.sh runs it.
 *
 *   java scripts/Hostile.java good   HOST PORT SECONDS          good clients only: the baseline
 *   java scripts/Hostile.java attack HOST PORT SECONDS          the attack mix plus good clients
 *
 * Good clients: 4 connections, each a closed loop of 1 KiB frames, every echo checked byte for
 * byte; the round-trip latencies are reported as percentiles. The attack mix, each kind on its own
 * virtual threads, reconnecting whenever the server closes it, until the time is up:
 *
 *   trickle      200 conns  announce 1 KiB, then one byte every 100 ms (ended by --idle-timeout)
 *   idle         200 conns  connect and send nothing
 *   announce    1000 conns  announce 16 MiB, send 4 KiB, then nothing
 *   no-read      100 conns  pipeline 1 KiB frames and never read a reply
 *   too-large    10/s       a length prefix of FF FF FF FF
 *   truncated    10/s       half a frame, then close
 *   flood        600 conns  extra connections, to push past --max-connections
 *   big            3 conns  whole 16 MiB frames, echo checked
 */
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

public class Hostile {
    static String host;
    static int port;
    static volatile boolean running = true;
    static final long START = System.nanoTime();
    static final Map<String, LongAdder> counts = new ConcurrentHashMap<>();
    static final List<Socket> open = java.util.Collections.synchronizedList(new ArrayList<>());

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        host = args[1];
        port = Integer.parseInt(args[2]);
        long seconds = Long.parseLong(args[3]);
        List<Thread> threads = new ArrayList<>();
        if (mode.equals("attack")) {
            for (int i = 0; i < 200; i++) threads.add(loop("trickle", Hostile::trickle));
            for (int i = 0; i < 200; i++) threads.add(loop("idle", s -> s.getInputStream().read()));
            for (int i = 0; i < 1000; i++) threads.add(loop("announce", Hostile::announce));
            for (int i = 0; i < 100; i++) threads.add(loop("no-read", Hostile::noRead));
            for (int i = 0; i < 600; i++) threads.add(loop("flood", s -> s.getInputStream().read()));
            threads.add(Thread.ofVirtual().start(() -> paced("too-large", s -> {
                s.getOutputStream().write(new byte[] {-1, -1, -1, -1});
                s.getInputStream().read();
            })));
            threads.add(Thread.ofVirtual().start(() -> paced("truncated", s -> {
                s.getOutputStream().write(ByteBuffer.allocate(4 + 100).putInt(200).array());
            })));
            for (int i = 0; i < 3; i++) threads.add(loop("big", Hostile::big));
        }
        var latencies = new ArrayList<long[]>();
        var goodCounts = new ArrayList<AtomicLong>();
        var goodThreads = new ArrayList<Thread>();
        for (int i = 0; i < 4; i++) {
            long[] samples = new long[2_000_000];
            var n = new AtomicLong();
            latencies.add(samples);
            goodCounts.add(n);
            int seed = i;
            goodThreads.add(Thread.ofPlatform().start(() -> good(seed, samples, n)));
        }
        Thread.sleep(seconds * 1000);
        running = false;
        for (Thread t : goodThreads) t.join();
        synchronized (open) {
            for (Socket s : open) try { s.close(); } catch (IOException ignored) {}
        }

        int total = (int) goodCounts.stream().mapToLong(AtomicLong::get).sum();
        long[] all = new long[total];
        int at = 0;
        for (int i = 0; i < 4; i++) {
            int n = (int) Math.min(goodCounts.get(i).get(), latencies.get(i).length);
            System.arraycopy(latencies.get(i), 0, all, at, n);
            at += n;
        }
        Arrays.sort(all, 0, at);
        System.out.printf("%s: good clients %d round trips in %d s (%d/s), errors %d; latency us p50 %d p90 %d p99 %d p99.9 %d max %d%n",
                mode, at, seconds, at / seconds, count("good-error"),
                pct(all, at, 50), pct(all, at, 90), pct(all, at, 99), pct(all, at, 99.9), at == 0 ? 0 : all[at - 1] / 1000);
        if (mode.equals("attack")) {
            var sorted = new TreeMap<String, Long>();
            counts.forEach((k, v) -> sorted.put(k, v.sum()));
            System.out.println("attack: " + sorted);
        }
        System.exit(0);
    }

    static long count(String key) {
        LongAdder a = counts.get(key);
        return a == null ? 0 : a.sum();
    }

    static long pct(long[] sorted, int n, double p) {
        if (n == 0) return 0;
        return sorted[(int) Math.min(n - 1, Math.ceil(p / 100 * n) - 1)] / 1000;
    }

    static void inc(String key) {
        counts.computeIfAbsent(key, k -> new LongAdder()).increment();
    }

    interface Step { void run(Socket s) throws IOException; }

    static Socket connect() throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress(host, port), 10_000);
        s.setTcpNoDelay(true);
        open.add(s);
        return s;
    }

    /** Connects, runs the step, counts how it ended; again until the time is up. */
    static Thread loop(String kind, Step step) {
        return Thread.ofVirtual().start(() -> {
            while (running) {
                Socket s = null;
                try {
                    s = connect();
                    inc(kind + ".connects");
                    step.run(s);
                    inc(kind + ".closed-by-server");
                } catch (IOException e) {
                    inc(kind + (s == null ? ".connect-failed" : ".closed-by-server"));
                    sleep(50);
                } finally {
                    if (s != null) {
                        open.remove(s);
                        try { s.close(); } catch (IOException ignored) {}
                    }
                }
            }
        });
    }

    /** Ten connections a second, each running the step once. */
    static void paced(String kind, Step step) {
        while (running) {
            Thread.ofVirtual().start(() -> {
                try (Socket s = connect()) {
                    inc(kind);
                    step.run(s);
                } catch (IOException e) {
                    inc(kind);
                }
            });
            sleep(100);
        }
    }

    static void trickle(Socket s) throws IOException {
        OutputStream out = s.getOutputStream();
        out.write(ByteBuffer.allocate(4).putInt(1024).array());
        for (int i = 0; i < 1024 && running; i++) {
            out.write(i);
            sleep(100);
        }
        if (running) inc("trickle.finished-frame (should not happen)");
    }

    static void announce(Socket s) throws IOException {
        s.getOutputStream().write(ByteBuffer.allocate(4 + 4096).putInt(16 << 20).array());
        s.getInputStream().read();              // until the server closes it
    }

    static void noRead(Socket s) throws IOException {
        byte[] frames = new byte[64 * 1028];
        ByteBuffer b = ByteBuffer.wrap(frames);
        for (int i = 0; i < 64; i++) b.putInt(1024).position(b.position() + 1024);
        OutputStream out = s.getOutputStream();
        while (running) out.write(frames);      // blocks once the server stops reading
    }

    static void big(Socket s) throws IOException {
        byte[] payload = new byte[16 << 20];
        new Random().nextBytes(payload);
        s.setSoTimeout(120_000);
        OutputStream out = s.getOutputStream();
        var in = new DataInputStream(s.getInputStream());
        while (running) {
            out.write(ByteBuffer.allocate(4).putInt(payload.length).array());
            out.write(payload);
            int length = in.readInt();
            byte[] echo = new byte[length];
            in.readFully(echo);
            inc(Arrays.equals(payload, echo) ? "big.echoed-intact" : "big.echo-MISMATCH");
        }
    }

    static void good(int seed, long[] samples, AtomicLong n) {
        var random = new Random(seed);
        byte[] payload = new byte[1024];
        while (running) {
            Socket s0 = null;
            try (Socket s = connect()) {
                s0 = s;
                s.setSoTimeout(30_000);
                OutputStream out = s.getOutputStream();
                var in = new DataInputStream(s.getInputStream());
                byte[] frame = new byte[4 + payload.length], echo = new byte[payload.length];
                while (running) {
                    random.nextBytes(payload);
                    ByteBuffer.wrap(frame).putInt(payload.length).put(payload);
                    long start = System.nanoTime();
                    out.write(frame);
                    if (in.readInt() != payload.length) throw new IOException("wrong echo length");
                    in.readFully(echo);
                    long took = System.nanoTime() - start;
                    if (!Arrays.equals(payload, echo)) throw new IOException("echo differs");
                    long i = n.getAndIncrement();
                    if (i < samples.length) samples[(int) i] = took;
                }
            } catch (IOException e) {
                if (running) {
                    inc("good-error");
                    System.err.printf("good client %s at %.1f s after %d round trips: %s%n",
                            s0 == null ? "" : "from port " + s0.getLocalPort(), (System.nanoTime() - START) / 1e9, n.get(), e);
                    sleep(100);
                }
            }
        }
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
