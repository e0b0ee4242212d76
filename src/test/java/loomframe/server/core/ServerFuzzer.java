package loomframe.server.core;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import loomframe.frame.FrameFormat;

/**
 * Throws random connections at a running echo server: valid frames cut at random (every echo
 * checked), random bytes, random length fields with partial bodies, and random endings — a clean
 * close, a half-close, a reset, or just silence until the idle deadline. Each input is one
 * connection; {@code concurrency} of them run at once. Used by {@code ServerFuzzTest} (a few
 * thousand inputs in CI) and by {@code scripts/fuzz.sh} (a million).
 */
public final class ServerFuzzer {
    private final String host;
    private final int port;
    private final FrameFormat format;
    private final AtomicLong echoed = new AtomicLong();
    private final AtomicLong inputs = new AtomicLong();
    private final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();

    public ServerFuzzer(String host, int port, FrameFormat format) {
        this.host = host;
        this.port = port;
        this.format = format;
    }

    /** Runs {@code count} inputs, {@code concurrency} at a time; returns the failures (wrong or missing echoes). */
    public List<String> run(long seed, int count, int concurrency) throws InterruptedException {
        var permits = new Semaphore(concurrency);
        try (var threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < count; i++) {
                permits.acquire();
                long inputSeed = seed * 1_000_003L + i;
                threads.submit(() -> {
                    try {
                        one(new Random(inputSeed), inputSeed);
                    } finally {
                        permits.release();
                    }
                });
            }
        }
        return new ArrayList<>(failures);
    }

    public long echoed() {
        return echoed.get();
    }

    public long inputs() {
        return inputs.get();
    }

    private void one(Random r, long inputSeed) {
        inputs.incrementAndGet();
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), 10_000);
            s.setTcpNoDelay(true);
            s.setSoTimeout(5_000);
            OutputStream out = s.getOutputStream();
            int kind = r.nextInt(10);
            if (kind < 5) {                                         // valid frames, cut anywhere, every echo checked
                List<byte[]> frames = new ArrayList<>();
                for (int n = 1 + r.nextInt(6); n > 0; n--) frames.add(payload(r));
                byte[] wire = encode(frames);
                writeCut(out, wire, r);
                DataInputStream in = new DataInputStream(s.getInputStream());
                for (byte[] f : frames) {
                    int length = in.readInt();
                    byte[] echo = new byte[length];
                    in.readFully(echo);
                    if (!Arrays.equals(f, echo)) failures.add("input " + inputSeed + ": an echo of " + f.length + " bytes differs");
                    echoed.incrementAndGet();
                }
            } else if (kind < 7) {                                   // random bytes
                byte[] junk = new byte[r.nextInt(3000)];
                r.nextBytes(junk);
                writeCut(out, junk, r);
            } else {                                                 // a length field, then part of what it announced
                long announced = switch (r.nextInt(4)) {
                    case 0 -> r.nextInt(100);
                    case 1 -> r.nextInt(1 << 20);
                    case 2 -> 16L << 20;
                    default -> 0xFFFF_FFFFL;
                };
                byte[] start = ByteBuffer.allocate(4 + r.nextInt(5000)).putInt((int) announced).array();
                writeCut(out, start, r);
            }
            switch (r.nextInt(4)) {                                  // and how it ends
                case 0 -> s.setSoLinger(true, 0);                    // reset
                case 1 -> {                                          // half-close, then wait for the server's close
                    s.shutdownOutput();
                    drain(s.getInputStream());
                }
                case 2 -> drainBriefly(s.getInputStream());          // silence for a moment, then close
                default -> { }                                       // close at once
            }
        } catch (IOException e) {
            // refused, reset or closed by the server: what hostile inputs get; valid ones are checked above
        }
    }

    private byte[] payload(Random r) {
        int size = switch (r.nextInt(6)) {
            case 0 -> 0;
            case 1 -> ChunkPool.CHUNK_SIZE - 4 + r.nextInt(8);
            case 2 -> r.nextInt(100_000);
            default -> r.nextInt(600);
        };
        byte[] p = new byte[size];
        r.nextBytes(p);
        return p;
    }

    private byte[] encode(List<byte[]> frames) {
        int total = 0;
        for (byte[] f : frames) total += format.headerLength() + f.length;
        ByteBuffer b = ByteBuffer.allocate(total);
        for (byte[] f : frames) b.put(format.encode(f));
        return b.array();
    }

    private static void writeCut(OutputStream out, byte[] wire, Random r) throws IOException {
        int at = 0;
        while (at < wire.length) {
            int n = Math.min(wire.length - at, 1 + r.nextInt(r.nextBoolean() ? 16 : 20_000));
            out.write(wire, at, n);
            out.flush();
            at += n;
            if (r.nextInt(8) == 0) Thread.yield();
        }
    }

    private static void drain(InputStream in) throws IOException {
        byte[] sink = new byte[8192];
        while (in.read(sink) >= 0) {
            // replies to whatever was valid, until the server closes
        }
    }

    private static void drainBriefly(InputStream in) {
        try {
            drain(in);
        } catch (SocketTimeoutException e) {
            // silence is fine too
        } catch (IOException e) {
            // closed by the server
        }
    }

    /** {@code ServerFuzzer HOST PORT INPUTS [SEED [CONCURRENCY]]}: fuzzes a running echo server, prints what it found. */
    public static void main(String[] args) throws Exception {
        String host = args[0];
        int port = Integer.parseInt(args[1]);
        int count = Integer.parseInt(args[2]);
        long seed = args.length > 3 ? Long.parseLong(args[3]) : System.nanoTime();
        int concurrency = args.length > 4 ? Integer.parseInt(args[4]) : 200;
        var fuzzer = new ServerFuzzer(host, port, FrameFormat.DEFAULT);
        long start = System.nanoTime();
        List<String> failures = fuzzer.run(seed, count, concurrency);
        System.out.printf("fuzz: %d inputs (seed %d, %d at once) in %.1f s, %d echoes checked, %d failures%n",
                fuzzer.inputs(), seed, concurrency, (System.nanoTime() - start) / 1e9, fuzzer.echoed(), failures.size());
        failures.stream().limit(20).forEach(f -> System.out.println("  " + f));
        System.exit(failures.isEmpty() ? 0 : 1);
    }
}
