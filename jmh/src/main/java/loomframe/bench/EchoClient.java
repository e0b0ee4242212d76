package loomframe.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * The one client every server is measured with: a closed loop over {@code connections} TCP
 * connections, each keeping {@code pipeline} echo frames in flight, all driven by ONE thread with a
 * {@link Selector}. Every reply is checked byte for byte against what was sent.
 *
 * <p>Why one selector thread and not a thread (or virtual thread) per connection: on a 2-core machine
 * the client competes with the server for the CPUs. A single thread caps the client at one core
 * whatever the connection count, costs no context switches among client threads, and leaves the
 * server's own threading model as the only variable. It also makes the client's CPU time easy to
 * measure ({@code getCurrentThreadCpuTime}), so the server's share of the process can be isolated.
 *
 * <p>Per connection: frames go out in the order they were queued, replies come back in that order
 * (the protocol promises it), so a FIFO of send timestamps gives each frame's round-trip time.
 * After each read, every frame that completed is replaced by a new one and all of them are sent
 * with one write (pipelining without extra syscalls). Frames larger than the socket buffer are
 * written in parts as the socket accepts them, while replies keep being read.
 */
public final class EchoClient implements AutoCloseable {

    private static final long STALL_NANOS = TimeUnit.SECONDS.toNanos(20);

    private final int payloadLength;
    private final int frameLength;
    private final int pipeline;
    private final ByteBuffer expected;      // the payload, read-only, for verification
    private final ByteBuffer frames;        // `copies` whole frames back to back, shared by all connections
    private final int copies;
    private final Selector selector;
    private final Connection[] connections;
    private final Histogram latency = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
    private boolean recording;
    private long unclaimed;                 // completed replies not yet handed to the caller
    private long framesCompleted;
    private long lastProgress = System.nanoTime();

    public EchoClient(int port, int connectionCount, int payloadLength, int pipeline) throws IOException {
        if (connectionCount < 1 || pipeline < 1 || payloadLength < 0) {
            throw new IllegalArgumentException("connections " + connectionCount + ", pipeline " + pipeline
                    + ", payload " + payloadLength + ": connections and pipeline must be >= 1, payload >= 0");
        }
        this.payloadLength = payloadLength;
        this.frameLength = 4 + payloadLength;
        this.pipeline = pipeline;
        ByteBuffer payload = ByteBuffer.allocateDirect(payloadLength);
        for (int i = 0; i < payloadLength; i++) payload.put((byte) (i * 31 + 7));
        this.expected = payload.flip().asReadOnlyBuffer();
        // Up to 256 KiB of ready-made frames, so that a batch of small frames is one write.
        this.copies = Math.max(1, Math.min(pipeline, (256 * 1024) / frameLength));
        ByteBuffer all = ByteBuffer.allocateDirect(copies * frameLength);
        for (int c = 0; c < copies; c++) {
            all.putInt(payloadLength);          // 4-byte big-endian length, payload only (FrameFormat.DEFAULT)
            all.put(expected.duplicate());
        }
        this.frames = all.flip().asReadOnlyBuffer();
        this.selector = Selector.open();
        this.connections = new Connection[connectionCount];
        int readBuffer = frameLength >= 64 * 1024 ? 256 * 1024 : 64 * 1024;
        try {
            for (int i = 0; i < connectionCount; i++) {
                SocketChannel channel = SocketChannel.open(new InetSocketAddress("127.0.0.1", port));
                channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
                channel.configureBlocking(false);
                connections[i] = new Connection(i, channel, readBuffer);
            }
            for (Connection c : connections) {
                c.queued = pipeline;
                c.pump();
            }
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    /** Records round-trip times from now on ({@code true}) or stops recording. */
    public void recording(boolean on) {
        recording = on;
    }

    public Histogram latency() {
        return latency;
    }

    public long framesCompleted() {
        return framesCompleted;
    }

    public int frameLength() {
        return frameLength;
    }

    /**
     * Drives the connections until one more echo has completed (on any connection), then returns.
     * Replies that completed in the same read are handed out by the following calls without
     * touching the network, so one call is exactly one echoed frame.
     */
    public void awaitReply() throws IOException {
        while (unclaimed == 0) poll();
        unclaimed--;
    }

    private void poll() throws IOException {
        int ready = selector.select(1000);
        if (ready == 0) {
            if (System.nanoTime() - lastProgress > STALL_NANOS) {
                throw new IOException("no echo for " + TimeUnit.NANOSECONDS.toSeconds(STALL_NANOS) + " s: " + state());
            }
            return;
        }
        Iterator<SelectionKey> keys = selector.selectedKeys().iterator();
        while (keys.hasNext()) {
            SelectionKey key = keys.next();
            keys.remove();
            Connection c = (Connection) key.attachment();
            if (key.isReadable()) c.read();
            if (key.isValid() && key.isWritable()) c.pump();
        }
    }

    private String state() {
        StringBuilder s = new StringBuilder("frames completed " + framesCompleted + "; per connection [in flight, queued, unsent bytes]:");
        for (int i = 0; i < Math.min(connections.length, 8); i++) {
            Connection c = connections[i];
            s.append(" [").append(c.inFlight()).append(", ").append(c.queued).append(", ").append(c.out.remaining()).append(']');
        }
        return s.toString();
    }

    @Override
    public void close() throws IOException {
        for (Connection c : connections) {
            if (c != null) c.channel.close();
        }
        selector.close();
    }

    private final class Connection {
        final int index;
        final SocketChannel channel;
        final SelectionKey key;
        final ByteBuffer out = frames.duplicate().limit(0);
        final ByteBuffer in;
        final long[] sentAt = new long[pipeline];
        int sentHead, sentCount;            // FIFO of send times, one per frame in flight
        int queued;                         // frames owed to the server, not yet started
        int headerBytes;                    // of the 4-byte prefix of the reply being read
        int announced;
        int bodyRead = -1;                  // -1 while reading a prefix

        Connection(int index, SocketChannel channel, int readBuffer) throws IOException {
            this.index = index;
            this.channel = channel;
            this.in = ByteBuffer.allocateDirect(readBuffer);
            this.key = channel.register(selector, SelectionKey.OP_READ, this);
        }

        int inFlight() {
            return sentCount;
        }

        /** Writes queued frames until done or the socket is full; asks for OP_WRITE in the latter case. */
        void pump() throws IOException {
            while (true) {
                if (!out.hasRemaining()) {
                    if (queued == 0) {
                        if ((key.interestOps() & SelectionKey.OP_WRITE) != 0) key.interestOps(SelectionKey.OP_READ);
                        return;
                    }
                    int n = Math.min(queued, copies);
                    queued -= n;
                    out.limit(n * frameLength).position(0);
                    long now = System.nanoTime();
                    for (int i = 0; i < n; i++) sentAt[(sentHead + sentCount++) % pipeline] = now;
                }
                channel.write(out);
                if (out.hasRemaining()) {
                    if ((key.interestOps() & SelectionKey.OP_WRITE) == 0) key.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
                    return;
                }
            }
        }

        void read() throws IOException {
            int n = channel.read(in.clear());
            if (n < 0) throw new IOException("connection " + index + ": server closed the connection; " + state());
            in.flip();
            int done = 0;
            while (in.hasRemaining() || (bodyRead >= 0 && bodyRead == announced)) {
                if (bodyRead < 0) {
                    while (headerBytes < 4 && in.hasRemaining()) {
                        announced = (announced << 8) | (in.get() & 0xFF);
                        headerBytes++;
                    }
                    if (headerBytes < 4) break;
                    if (announced != payloadLength) {
                        throw new IOException("connection " + index + ": reply announces " + (announced & 0xFFFFFFFFL)
                                + " bytes, sent " + payloadLength);
                    }
                    bodyRead = 0;
                }
                int take = Math.min(in.remaining(), announced - bodyRead);
                if (take > 0) {
                    int at = in.position();
                    if (in.slice(at, take).mismatch(expected.slice(bodyRead, take)) >= 0) {
                        throw new IOException("connection " + index + ": reply differs from the frame sent, within bytes "
                                + bodyRead + ".." + (bodyRead + take) + " of " + payloadLength);
                    }
                    in.position(at + take);
                    bodyRead += take;
                }
                if (bodyRead == announced) {
                    completed();
                    done++;
                    bodyRead = -1;
                    headerBytes = 0;
                    announced = 0;
                }
            }
            if (done > 0) {
                queued += done;                 // closed loop: each reply makes room for the next frame
                pump();
            }
        }

        private void completed() throws IOException {
            if (sentCount == 0) throw new IOException("connection " + index + ": a reply arrived for no frame in flight");
            long sent = sentAt[sentHead];
            sentHead = (sentHead + 1) % pipeline;
            sentCount--;
            long now = System.nanoTime();
            if (recording) latency.recordValue(Math.min(now - sent, latency.getHighestTrackableValue()));
            framesCompleted++;
            unclaimed++;
            lastProgress = now;
        }
    }

    /**
     * Drives a server outside JMH, e.g. while it is profiled:
     * {@code jmh/bench --main loomframe.bench.EchoClient PORT CONNECTIONS PAYLOAD PIPELINE FRAMES}.
     */
    public static void main(String[] args) throws IOException {
        if (args.length != 5) {
            System.err.println("usage: EchoClient PORT CONNECTIONS PAYLOAD PIPELINE FRAMES");
            System.exit(2);
        }
        long frames = Long.parseLong(args[4]);
        try (var client = new EchoClient(Integer.parseInt(args[0]), Integer.parseInt(args[1]),
                Integer.parseInt(args[2]), Integer.parseInt(args[3]))) {
            long start = System.nanoTime();
            for (long i = 0; i < frames; i++) client.awaitReply();
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf(java.util.Locale.ROOT, "%d frames in %.2f s: %.0f frames/s%n", frames, seconds, frames / seconds);
        }
    }
}
