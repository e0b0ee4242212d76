package loomframe;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import loomframe.frame.FrameFormat;

/** A raw-socket peer for tests: writes bytes cut where the test says, reads frames back. */
public final class TestWire implements AutoCloseable {
    public final Socket socket;
    public final InputStream in;
    public final OutputStream out;
    private final FrameFormat format;

    public TestWire(int port, FrameFormat format) throws IOException {
        this(port, format, null);
    }

    /** Over TLS when {@code tls} is given: each piece {@link #writeCut} writes is then a record of its own. */
    public TestWire(int port, FrameFormat format, loomframe.tls.ClientTls tls) throws IOException {
        Socket plain = new Socket();
        plain.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        plain.setTcpNoDelay(true);
        plain.setSoTimeout(10_000);   // a lost reply fails the test instead of hanging it
        if (tls != null) {
            var ssl = (javax.net.ssl.SSLSocket) tls.context().getSocketFactory().createSocket(plain, tls.serverName(), port, true);
            ssl.setSSLParameters(tls.parameters());
            ssl.startHandshake();
            this.socket = ssl;
        } else {
            this.socket = plain;
        }
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
        this.format = format;
    }

    /** Writes {@code wire} in pieces ending at each cut, pausing briefly so the server sees them apart. */
    public void writeCut(byte[] wire, int... cuts) throws IOException {
        int from = 0;
        for (int cut : cuts) {
            if (cut <= from || cut >= wire.length) continue;
            out.write(wire, from, cut - from);
            out.flush();
            pause();
            from = cut;
        }
        out.write(wire, from, wire.length - from);
        out.flush();
    }

    public void write(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    /** Reads one frame's payload; fails on end of stream. */
    public byte[] readFrame() throws IOException {
        byte[] header = new DataInputStream(in).readNBytes(format.headerLength());
        if (header.length < format.headerLength()) throw new java.io.EOFException("end of stream in reply header");
        int length = format.withMaxFrame(FrameFormat.MAX_FRAME_LIMIT).decodeHeader(header);
        byte[] payload = in.readNBytes(length);
        if (payload.length < length) throw new java.io.EOFException("end of stream in reply body");
        return payload;
    }

    /** True when the server closed the connection (end of stream or reset) within the socket timeout. */
    public boolean closedByServer() {
        try {
            return in.read() < 0;
        } catch (IOException e) {
            return true;  // reset counts as closed
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }

    private static void pause() {
        try {
            Thread.sleep(2);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // --- helpers for building wire bytes ------------------------------------------------------

    public static byte[] concat(List<byte[]> parts) {
        int total = parts.stream().mapToInt(p -> p.length).sum();
        ByteBuffer b = ByteBuffer.allocate(total);
        parts.forEach(b::put);
        return b.array();
    }

    public static byte[] encodeAll(FrameFormat format, List<byte[]> payloads) {
        List<byte[]> frames = new ArrayList<>();
        for (byte[] p : payloads) frames.add(format.encode(p));
        return concat(frames);
    }

    public static byte[] randomBytes(Random random, int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    // --- random scenarios for the property tests (decoder and servers) ------------------------

    /** Any width, either order, either meaning of the length. */
    public static FrameFormat randomFormat(Random r) {
        int width = new int[] {1, 2, 4, 8}[r.nextInt(4)];
        return new FrameFormat(width, r.nextBoolean() ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN, r.nextBoolean(),
                FrameFormat.DEFAULT_MAX_FRAME);
    }

    /**
     * One to {@code maxCount} frames: a third of them of a size that matters to the code under
     * test ({@code interesting}, plus the largest the format allows, capped at {@code cap}), the
     * rest small.
     */
    public static List<byte[]> randomFrames(Random r, FrameFormat format, int maxCount, int cap, int... interesting) {
        long largest = Math.min(format.largestEncodablePayload(), cap);
        List<byte[]> frames = new ArrayList<>();
        for (int i = 1 + r.nextInt(maxCount); i > 0; i--) {
            int pick = r.nextInt(interesting.length + 1);
            int size = r.nextInt(3) > 0 ? r.nextInt(500) : pick == interesting.length ? (int) largest : interesting[pick];
            frames.add(randomBytes(r, (int) Math.min(size, largest)));
        }
        return frames;
    }

    /** Up to {@code maxCuts} distinct cut points strictly inside {@code length} bytes, in order. */
    public static int[] randomCuts(Random r, int length, int maxCuts) {
        var cuts = new java.util.TreeSet<Integer>();
        int count = r.nextInt(Math.min(length, maxCuts) + 1);
        for (int i = 0; i < count; i++) cuts.add(1 + r.nextInt(Math.max(1, length - 1)));
        return cuts.stream().mapToInt(Integer::intValue).filter(c -> c < length).toArray();
    }

    /** A length field with arbitrary raw content, for bad-input tests. */
    public static byte[] rawHeader(int width, ByteOrder order, long value) {
        ByteBuffer b = ByteBuffer.allocate(8).order(order).putLong(order == ByteOrder.BIG_ENDIAN ? value << (8 * (8 - width)) : value);
        byte[] all = b.array();
        byte[] h = new byte[width];
        System.arraycopy(all, 0, h, 0, width);
        return h;
    }
}
