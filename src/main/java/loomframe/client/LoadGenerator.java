package loomframe.client;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import loomframe.frame.FrameDecoder;
import loomframe.frame.FrameException;
import loomframe.frame.FrameFormat;
import loomframe.tls.ClientTls;
import loomframe.tls.TlsBuffers;
import loomframe.tls.TlsEngine;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Drives a server with many connections and checks every echo byte for byte.
 *
 * <h2>Two latency models</h2>
 * <ul>
 *   <li><b>Closed loop</b> (default): each connection keeps {@code pipeline} frames in flight and
 *       sends the next one when an echo returns. Latency runs from the frame's actual send. When the
 *       server stalls, the generator stops sending too, so the stall shows in few samples
 *       (coordinated omission): good for throughput, optimistic for tails.</li>
 *   <li><b>Open loop</b> ({@code rate > 0}): frames are due at a fixed total rate whatever the
 *       server does, and latency runs from each frame's <em>due</em> time, as wrk2 measures; a stall
 *       shows in every frame that should have been sent during it.</li>
 * </ul>
 *
 * <h2>Why it is built this way</h2>
 * The generator shares a small machine with the server it measures, so each frame must cost it
 * little: a few event-loop threads each own a {@link Selector} and a share of the connections
 * (no thread hand-off per frame); frames are copied from one pre-built template, with an 8-byte
 * sequence number patched into the payload so lost, repeated or reordered replies are caught too;
 * replies are checked as bytes arrive with {@link Arrays#mismatch} against the template, never
 * buffered whole; latencies go to an HdrHistogram {@link Recorder}. The CPU time of the event-loop
 * threads over the measured window is reported as the generator's own cost per frame.
 */
public final class LoadGenerator {

    /**
     * @param connections  connections to open, all before the run starts
     * @param payloadSize  payload bytes per frame
     * @param pipeline     frames in flight per connection (closed loop)
     * @param duration     measured window
     * @param warmup       run before the measured window; not counted
     * @param rate         open loop at this many frames per second in total; 0 = closed loop
     * @param threads      event-loop threads; connections are spread over them
     * @param timeout      bound on connecting and on waiting for the last replies at the end
     * @param tls          TLS on every connection, or null for plain TCP
     */
    public record Options(String host, int port, FrameFormat format, int connections, int payloadSize, int pipeline,
                          Duration duration, Duration warmup, double rate, int threads, Duration timeout, ClientTls tls) {
        /** Plain TCP. */
        public Options(String host, int port, FrameFormat format, int connections, int payloadSize, int pipeline,
                       Duration duration, Duration warmup, double rate, int threads, Duration timeout) {
            this(host, port, format, connections, payloadSize, pipeline, duration, warmup, rate, threads, timeout, null);
        }

        public Options {
            if (connections < 1) throw new IllegalArgumentException("--connections must be at least 1, got " + connections);
            if (pipeline < 1) throw new IllegalArgumentException("--pipeline must be at least 1, got " + pipeline);
            if (threads < 1) throw new IllegalArgumentException("--threads must be at least 1, got " + threads);
            if (rate < 0 || Double.isNaN(rate)) throw new IllegalArgumentException("--rate must be positive, got " + rate);
            if (payloadSize < 0 || payloadSize > format.maxFrame() || payloadSize > format.largestEncodablePayload()) {
                throw new IllegalArgumentException("--size " + payloadSize + " does not fit the frame format ("
                        + format.describeLength() + ", --max-frame " + format.maxFrame() + ")");
            }
            if (duration.isZero() || duration.isNegative()) throw new IllegalArgumentException("--duration must be positive, got " + duration);
            if (warmup.isNegative()) throw new IllegalArgumentException("--warmup must not be negative, got " + warmup);
        }

        public boolean openLoop() {
            return rate > 0;
        }

        /** One line saying how latency was measured, for reports. */
        public String latencyModel() {
            return openLoop()
                    ? "open loop at " + fmtRate(rate) + " frames/s: latency from each frame's due time (corrects coordinated omission, as wrk2)"
                    : "closed loop, " + pipeline + " in flight per connection: latency from each frame's actual send (stalls are under-sampled: coordinated omission; use --rate for an open loop)";
        }

        private static String fmtRate(double r) {
            return r == Math.rint(r) ? String.valueOf((long) r) : String.valueOf(r);
        }

        /** Default event-loop threads: half the cores (the other half is the server's), at least 1. */
        public static int defaultThreads(int connections) {
            return Math.max(1, Math.min(connections, Runtime.getRuntime().availableProcessors() / 2));
        }
    }

    /** A once-a-second look at a run in progress. */
    public record Progress(double elapsedSeconds, boolean warmingUp, double framesPerSecond, double mibPerSecond,
                           long errors, long p99Nanos) {}

    /** Receives {@link Progress} once a second, on the thread that called {@link #run}. */
    @FunctionalInterface
    public interface ProgressListener {
        void onProgress(Progress p);
    }

    private static final int BUFFER = 64 * 1024;
    private static final int SEQ_BYTES = 8;
    private static final int MAX_ERROR_MESSAGES = 5;

    private final Options o;
    private final byte[] template;
    private final Recorder recorder = new Recorder(3);
    private final List<String> errorMessages = new CopyOnWriteArrayList<>();
    private final AtomicLong errorCount = new AtomicLong();
    private final long periodNanos;
    private final TlsBuffers tlsBuffers;      // null: plain TCP
    private long startNanos;
    private long measureFrom;
    private long measureUntil;

    private LoadGenerator(Options o) {
        this.o = o;
        this.template = new byte[o.payloadSize()];
        new Random(0x100f_f4a3eL).nextBytes(template);
        this.periodNanos = o.openLoop() ? Math.max(1, Math.round(1e9 / o.rate())) : 0;
        this.tlsBuffers = o.tls() == null ? null
                : new TlsBuffers(o.tls().context().createSSLEngine().getSession().getPacketBufferSize(), false);
    }

    /**
     * Runs a whole load test: connects, runs warmup and measured window, waits for the last replies.
     *
     * @throws IOException if a connection cannot be made (then nothing was sent)
     */
    public static LoadResult run(Options options, ProgressListener progress) throws IOException, InterruptedException {
        return new LoadGenerator(options).run(progress);
    }

    private LoadResult run(ProgressListener progress) throws IOException, InterruptedException {
        var loops = new ArrayList<Loop>();
        try {
            for (int t = 0; t < o.threads(); t++) loops.add(new Loop());
            for (int i = 0; i < o.connections(); i++) {
                loops.get(i % loops.size()).add(connect(i));
            }
        } catch (IOException | RuntimeException e) {
            for (Loop l : loops) l.closeAll();
            throw e;
        }

        startNanos = System.nanoTime();
        measureFrom = startNanos + o.warmup().toNanos();
        measureUntil = measureFrom + o.duration().toNanos();
        var done = new CountDownLatch(loops.size());
        for (int t = 0; t < loops.size(); t++) {
            Loop loop = loops.get(t);
            Thread.ofPlatform().name("loomframe-load-" + t).daemon().start(() -> {
                try {
                    loop.run();
                } finally {
                    done.countDown();
                }
            });
        }

        Histogram total = new Histogram(3);
        Histogram interval = null;
        long lastFrames = 0, lastBytes = 0, lastTick = startNanos;
        while (!done.await(nextTick(lastTick), TimeUnit.NANOSECONDS)) {
            long now = System.nanoTime();
            interval = recorder.getIntervalHistogram(interval);
            total.add(interval);
            long frames = 0, bytes = 0;
            for (Loop l : loops) {
                frames += l.framesAll.get();
                bytes += l.bytesAll.get();
            }
            double secs = (now - lastTick) / 1e9;
            if (progress != null && now < measureUntil) {
                progress.onProgress(new Progress((now - startNanos) / 1e9, now < measureFrom,
                        (frames - lastFrames) / secs, (bytes - lastBytes) / secs / (1024.0 * 1024.0), errorCount.get(),
                        interval.getTotalCount() == 0 ? 0 : interval.getValueAtPercentile(99)));
            }
            lastFrames = frames;
            lastBytes = bytes;
            lastTick = now;
        }
        total.add(recorder.getIntervalHistogram());

        long frames = 0, bytes = 0, lost = 0, corrupted = 0, failed = 0, cpu = 0;
        for (Loop l : loops) {
            frames += l.framesMeasured;
            bytes += l.bytesMeasured;
            lost += l.lost;
            corrupted += l.corrupted;
            failed += l.failed;
            cpu = cpu < 0 || l.cpuNanos < 0 ? -1 : cpu + l.cpuNanos;
        }
        return new LoadResult(o, o.duration().toNanos(), frames, bytes, total, lost, corrupted, failed,
                List.copyOf(errorMessages), cpu,
                "CPU time of " + loops.size() + " event-loop thread" + (loops.size() == 1 ? "" : "s")
                        + " in the measured window (ThreadMXBean)");
    }

    private static long nextTick(long lastTick) {
        return Math.max(1, lastTick + 1_000_000_000L - System.nanoTime());
    }

    private Conn connect(int index) throws IOException {
        SocketChannel ch = SocketChannel.open();
        try {
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            ch.socket().connect(new InetSocketAddress(o.host(), o.port()), (int) Math.min(Integer.MAX_VALUE, o.timeout().toMillis()));
            ch.configureBlocking(false);
            return new Conn(index, ch, o.tls() == null ? null : new TlsEngine(o.tls().newEngine(o.port()), tlsBuffers));
        } catch (IOException e) {
            ch.close();
            String what = o.connections() == 1 ? "" : " (connection " + (index + 1) + " of " + o.connections() + ")";
            var failure = new IOException("cannot connect to " + o.host() + ":" + o.port() + what + ": " + e.getMessage(), e);
            throw failure;
        }
    }

    private void error(String message) {
        errorCount.incrementAndGet();
        if (errorMessages.size() < MAX_ERROR_MESSAGES) errorMessages.add(message);
    }

    /** One event-loop thread and the connections it owns. */
    private final class Loop {
        final Selector selector;
        final List<Conn> conns = new ArrayList<>();
        final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        /** All verified frames and bytes, warmup included: read once a second for progress. */
        final AtomicLong framesAll = new AtomicLong();
        final AtomicLong bytesAll = new AtomicLong();
        long frames;      // this thread's running counts, published to framesAll once per iteration
        long bytes;
        long framesMeasured;
        long bytesMeasured;
        long lost;
        long corrupted;
        long failed;
        long cpuNanos = -1;
        long cpuAtStart = -1;
        boolean sending = true;

        Loop() throws IOException {
            selector = Selector.open();
        }

        void add(Conn c) throws IOException {
            c.loop = this;
            c.key = c.ch.register(selector, SelectionKey.OP_READ, c);
            conns.add(c);
        }

        void run() {
            boolean cpuSupported = threads.isCurrentThreadCpuTimeSupported();
            long drainUntil = Long.MAX_VALUE;
            try {
                long now = System.nanoTime();
                for (Conn c : conns) c.start(now);
                int live = conns.size();
                while (live > 0) {
                    now = System.nanoTime();
                    if (cpuSupported && cpuAtStart < 0 && now >= measureFrom) cpuAtStart = threads.getCurrentThreadCpuTime();
                    if (sending && now >= measureUntil) {
                        sending = false;
                        if (cpuAtStart >= 0) cpuNanos = threads.getCurrentThreadCpuTime() - cpuAtStart;
                        drainUntil = now + o.timeout().toNanos();
                        for (Conn c : conns) c.stopSending();
                    }
                    if (now >= drainUntil) {
                        for (Conn c : conns) c.giveUp();
                        break;
                    }
                    int ready = selector.select(selectMillis(now, drainUntil));
                    now = System.nanoTime();
                    if (ready > 0) {
                        for (SelectionKey key : selector.selectedKeys()) {
                            Conn c = (Conn) key.attachment();
                            if (key.isValid() && key.isReadable()) c.readable(now);
                            if (key.isValid() && key.isWritable()) c.pump(now);
                        }
                        selector.selectedKeys().clear();
                    }
                    live = 0;
                    for (Conn c : conns) {
                        if (o.openLoop() && sending) c.pump(now);
                        if (!c.finished()) live++;
                    }
                    framesAll.setRelease(frames);
                    bytesAll.setRelease(bytes);
                }
            } catch (IOException | RuntimeException e) {
                error("event loop failed: " + e);
                failed++;
            } finally {
                if (cpuNanos < 0 && cpuAtStart >= 0) cpuNanos = threads.getCurrentThreadCpuTime() - cpuAtStart;
                framesAll.setRelease(frames);
                bytesAll.setRelease(bytes);
                closeAll();
            }
        }

        private long selectMillis(long now, long drainUntil) {
            long until = sending ? measureUntil : drainUntil;
            if (sending && o.openLoop()) {
                for (Conn c : conns) until = Math.min(until, c.nextDue);
            }
            long nanos = until - now;
            // select(0) would wait forever: wait at least 1 ms; due frames that were late by less are
            // still charged from their due time, so the latency figures stay honest.
            return Math.max(1, Math.min(100, TimeUnit.NANOSECONDS.toMillis(nanos + 999_999)));
        }

        void closeAll() {
            for (Conn c : conns) c.close();
            try {
                selector.close();
            } catch (IOException ignored) {
                // nothing left to release
            }
        }
    }

    /** One connection: a sender that copies frames from the template and a streaming checker for replies. */
    private final class Conn {
        final int index;
        final SocketChannel ch;
        final TlsEngine tls;                     // null: plain TCP
        boolean handshaking;
        final ByteBuffer[] outArray;
        final ByteBuffer[] inArray;
        final ByteBuffer out = ByteBuffer.allocate(BUFFER);
        final ByteBuffer in = ByteBuffer.allocate(BUFFER);
        final byte[] frame;                      // header + payload, the sequence number patched per frame
        final int headerLength = o.format().headerLength();
        final int seqBytes = Math.min(SEQ_BYTES, o.payloadSize());
        final LongQueue sentAt = new LongQueue(); // send (closed) or due (open) time of each frame in flight
        final FrameDecoder replies = new FrameDecoder(o.format());
        final byte[] expectedSeq = new byte[SEQ_BYTES];
        Loop loop;
        SelectionKey key;
        int frameOffset = -1;   // next byte of the frame being copied into out; -1 = none
        long owed;              // frames that may be started now
        long seqSent;
        long seqReceived;
        long dueIndex;          // open loop: how many frames this connection has been due so far
        long nextDue = Long.MAX_VALUE;
        boolean writeInterest;
        boolean closed;

        Conn(int index, SocketChannel ch, TlsEngine tls) {
            this.index = index;
            this.ch = ch;
            this.tls = tls;
            this.handshaking = tls != null;
            this.outArray = new ByteBuffer[] {out};
            this.inArray = new ByteBuffer[] {in};
            this.frame = o.format().encode(template);
        }

        void start(long now) throws IOException {
            if (handshaking) {
                handshake(now);                  // frames start once it is done
                return;
            }
            if (o.openLoop()) {
                nextDue = dueTime(0);
            } else {
                owed = o.pipeline();
            }
            pump(now);
        }

        /** Open loop: frame k of connection i is due at start + (k*C + i) periods, so all frames are evenly spread. */
        private long dueTime(long k) {
            return startNanos + (k * o.connections() + index) * periodNanos;
        }

        /** Starts what is due, copies as much as fits into the buffer and writes it. */
        void pump(long now) {
            if (closed) return;
            if (handshaking) {
                handshake(now);
                return;
            }
            if (nextDue <= now) {
                while (nextDue <= now) {
                    sentAt.add(nextDue);   // charged from its due time, whenever it really goes out
                    owed++;
                    nextDue = dueTime(++dueIndex);
                }
            }
            // Fill, write, repeat while the socket takes everything: a frame may be larger than the buffer.
            while (true) {
                fill(now);
                if (out.position() == 0) break;
                try {
                    out.flip();
                    send();
                    out.compact();
                } catch (IOException e) {
                    fail("write failed: " + e.getMessage());
                    return;
                }
                if (out.position() > 0 || tls != null && tls.hasOutbound()) break;  // the socket is full: wait for OP_WRITE
            }
            wantWrite(out.position() > 0 || tls != null && tls.hasOutbound());
        }

        private void wantWrite(boolean want) {
            if (want != writeInterest) {
                writeInterest = want;
                key.interestOps(want ? SelectionKey.OP_READ | SelectionKey.OP_WRITE : SelectionKey.OP_READ);
            }
        }

        private void fill(long now) {
            while ((owed > 0 || frameOffset >= 0) && out.hasRemaining()) {
                if (frameOffset < 0) {
                    owed--;
                    if (seqBytes > 0) putSeq(frame, headerLength, seqSent, seqBytes);
                    seqSent++;
                    if (!o.openLoop()) sentAt.add(now);
                    frameOffset = 0;
                }
                int n = Math.min(out.remaining(), frame.length - frameOffset);
                out.put(frame, frameOffset, n);
                frameOffset += n;
                if (frameOffset == frame.length) frameOffset = -1;
            }
        }

        void readable(long now) {
            if (closed) return;
            if (handshaking) {
                handshake(now);
                return;
            }
            long n;
            do {                                 // TLS: records already read wake no selector, so drain them
                try {
                    n = receive();
                } catch (IOException e) {
                    fail("read failed: " + e.getMessage());
                    return;
                }
                if (!replies(n, now)) return;
            } while (tls != null && n > 0 && !closed);
        }

        /** What one read brought: false if the connection ended. */
        private boolean replies(long n, long now) {
            if (n < 0) {
                if (sentAt.isEmpty() && !loop.sending && frameOffset < 0) {
                    close();
                } else {
                    fail("the server closed the connection" + (replies.inFrame() ? " in the middle of a reply (" + replies.progress() + ")" : ""));
                }
                return false;
            }
            in.flip();
            if (!check(now)) return false;
            in.clear();
            pump(now);
            return !closed;
        }

        // --- the bytes on the wire: the channel itself, or TLS over it (non-blocking both) ---------

        private void send() throws IOException {
            if (tls == null) {
                ch.write(out);
                return;
            }
            if (!flushTls()) return;                     // earlier records still wait for the socket
            tls.wrap(outArray, 0, 1);
            flushTls();
        }

        private long receive() throws IOException {
            if (tls == null) return ch.read(in);
            while (true) {
                long n = tls.unwrap(inArray, 0, 1);
                if (n != 0) return n;
                if (tls.need() == TlsEngine.Next.WRITE) {
                    if (!flushTls()) return 0;
                } else {
                    int r = ch.read(tls.inbound());
                    if (r == 0) return 0;
                    if (r < 0) tls.endOfInput();
                }
            }
        }

        /** Writes what TLS has for the socket; false while some is left (the socket is full). */
        private boolean flushTls() throws IOException {
            while (tls.hasOutbound()) {
                if (ch.write(tls.outbound()) == 0) return false;
            }
            tls.sent();
            return true;
        }

        /** The handshake, driven by the selector: each readiness event takes it as far as it goes. */
        private void handshake(long now) {
            try {
                while (true) {
                    switch (tls.handshake()) {
                        case WRITE -> {
                            if (!flushTls()) {
                                wantWrite(true);
                                return;
                            }
                        }
                        case READ -> {
                            wantWrite(false);
                            int r = ch.read(tls.inbound());
                            if (r == 0) return;                  // wait for OP_READ
                            if (r < 0) tls.endOfInput();
                        }
                        case DONE -> {
                            wantWrite(false);
                            handshaking = false;
                            start(now);
                            return;
                        }
                    }
                }
            } catch (IOException e) {
                fail("TLS " + e.getMessage());
            }
        }

        /** Checks every reply byte in {@code in}; false if the connection was closed for a bad reply. */
        private boolean check(long now) {
            byte[] a = in.array();
            while (in.hasRemaining()) {
                if (replies.state() == FrameDecoder.State.HEADER) {
                    try {
                        if (!replies.takeHeader(in)) return true;       // the length field was cut: more comes
                    } catch (FrameException e) {
                        return corrupt("bad length field: " + e.getMessage());
                    }
                    if (sentAt.isEmpty()) return corrupt("a reply arrived for no frame in flight");
                    if (replies.bodyLength() != o.payloadSize()) {
                        return corrupt("reply announces " + replies.bodyLength() + " bytes, frame sent had " + o.payloadSize());
                    }
                    putSeq(expectedSeq, 0, seqReceived, SEQ_BYTES);
                }
                int bodyGot = replies.bodyReceived();
                int n = Math.min(replies.bodyNeeded(), in.remaining());
                int at = mismatch(a, in.position(), bodyGot, n);
                if (at >= 0) {
                    return corrupt("payload differs at byte " + (bodyGot + at) + " of " + o.payloadSize()
                            + (bodyGot + at < seqBytes ? " (sequence number: lost, repeated or reordered reply)" : ""));
                }
                in.position(in.position() + n);
                if (replies.takeBody(n)) replied(now);
            }
            return true;
        }

        /** Index of the first wrong byte among {@code n} reply bytes at {@code a[from]}, payload offset {@code off}; -1 if none. */
        private int mismatch(byte[] a, int from, int off, int n) {
            int i = 0;
            for (; i < n && off + i < seqBytes; i++) {
                if (a[from + i] != expectedSeq[off + i]) return i;
            }
            if (i == n) return -1;
            int m = Arrays.mismatch(a, from + i, from + n, template, off + i, off + n);
            return m < 0 ? -1 : i + m;
        }

        private void replied(long now) {
            long sent = sentAt.poll();
            seqReceived++;
            loop.frames++;
            loop.bytes += o.payloadSize();
            if (now >= measureFrom && now < measureUntil) {
                recorder.recordValue(Math.max(0, now - sent));
                loop.framesMeasured++;
                loop.bytesMeasured += o.payloadSize();
            }
            if (!o.openLoop() && loop.sending) owed++;
        }

        void stopSending() {
            if (o.openLoop() && owed > 0) sentAt.dropLast(owed);  // due but never started: not sent, not lost
            owed = 0;
            nextDue = Long.MAX_VALUE;
        }

        boolean finished() {
            return closed || (!loop.sending && !handshaking && sentAt.isEmpty() && frameOffset < 0 && out.position() == 0
                    && (tls == null || !tls.hasOutbound()));
        }

        void giveUp() {
            if (!closed && !sentAt.isEmpty()) {
                loop.lost += sentAt.size();
                error("connection " + (index + 1) + ": " + sentAt.size() + " repl" + (sentAt.size() == 1 ? "y" : "ies") + " missing "
                        + o.timeout().toMillis() + " ms after the end");
            }
            close();
        }

        private boolean corrupt(String what) {
            loop.corrupted++;
            loop.failed++;
            loop.lost += Math.max(0, sentAt.size() - 1);
            error("connection " + (index + 1) + ", reply " + (seqReceived + 1) + ": " + what);
            close();
            return false;
        }

        private void fail(String what) {
            loop.failed++;
            loop.lost += sentAt.size();
            error("connection " + (index + 1) + " after " + seqReceived + " replies: " + what
                    + (sentAt.isEmpty() ? "" : "; " + sentAt.size() + " frames in flight lost"));
            close();
        }

        void close() {
            if (closed) return;
            closed = true;
            sentAt.clear();
            try {
                ByteBuffer closeNotify = tls == null ? null : tls.closeNotify();
                if (closeNotify != null) ch.write(closeNotify);          // one try: the server sees the session end
            } catch (IOException ignored) {
                // closing anyway
            }
            if (tls != null) tls.release();
            try {
                ch.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }

    private static void putSeq(byte[] dst, int at, long seq, int n) {
        for (int i = 0; i < n; i++) dst[at + i] = (byte) (seq >>> (8 * (SEQ_BYTES - 1 - i)));
    }

    /** A growable FIFO of longs, no boxing. */
    static final class LongQueue {
        private long[] a = new long[16];
        private int head;
        private int size;

        void add(long v) {
            if (size == a.length) {
                long[] b = new long[a.length * 2];
                for (int i = 0; i < size; i++) b[i] = a[(head + i) & (a.length - 1)];
                a = b;
                head = 0;
            }
            a[(head + size++) & (a.length - 1)] = v;
        }

        long poll() {
            long v = a[head];
            head = (head + 1) & (a.length - 1);
            size--;
            return v;
        }

        void dropLast(long n) {
            size -= (int) Math.min(n, size);
        }

        boolean isEmpty() {
            return size == 0;
        }

        int size() {
            return size;
        }

        void clear() {
            size = 0;
        }
    }
}
