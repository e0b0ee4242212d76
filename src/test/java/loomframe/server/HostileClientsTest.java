package loomframe.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import loomframe.Loomframe;
import loomframe.Poll;
import loomframe.TestWire;
import loomframe.frame.FrameFormat;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * What a hostile or careless client can do to the server, and what it must not be able to do to
 * anyone else: trickling, idling, opening too many connections, never reading replies, and
 * flooding the log. Every test runs against each implementation while a good client is served.
 */
@Timeout(40)
class HostileClientsTest {
    private static final FrameFormat FORMAT = FrameFormat.DEFAULT;

    private static ServerConfig.Builder config(Impl impl) {
        return ServerConfig.builder().impl(impl).port(0);
    }

    @ParameterizedTest
    @EnumSource(Impl.class)
    void closesTricklingClientAtDeadlineWhileGoodClientIsServed(Impl impl) throws Exception {
        try (LogCapture log = new LogCapture();
             Server server = Loomframe.start(config(impl).idleTimeout(Duration.ofMillis(500)).build());
             GoodClient good = new GoodClient(server.port(), 2000);
             TestWire trickler = new TestWire(server.port(), FORMAT)) {
            trickler.write(TestWire.rawHeader(4, ByteOrder.BIG_ENDIAN, 1024));
            int sent = 0;
            long echoedBefore = good.echoed.get();
            try {
                for (; sent < 1024; sent++) {                // one byte every 100 ms: 102 s for the frame
                    trickler.write(new byte[] {(byte) sent});
                    Thread.sleep(100);
                }
            } catch (IOException closedByServer) {
                // expected: the server closed the connection at the frame's deadline
            }
            assertTrue(sent < 1024, "trickler sent its whole frame without being closed");
            assertTrue(good.echoesMore(20), "good client stopped being served");
            assertTrue(good.echoed.get() > echoedBefore);
            Poll.until("idle close counted", () -> server.stats().closed(CloseReason.IDLE) == 1);

            List<LogCapture.Line> lines = log.containing("no complete frame within 500ms (--idle-timeout)");
            assertEquals(1, lines.size(), () -> "one line for the trickler: " + log.lines);
            String line = lines.get(0).message();
            assertTrue(line.contains("127.0.0.1:" + trickler.socket.getLocalPort()), line);
            Matcher progress = Pattern.compile("body after (\\d+) of 1024 bytes").matcher(line);
            assertTrue(progress.find(), "says how far the frame got: " + line);
            assertTrue(Integer.parseInt(progress.group(1)) > 0 && Integer.parseInt(progress.group(1)) <= sent, line);
            assertFalse(lines.get(0).hasStackTrace(), "no stack trace without -v");
        }
    }

    @ParameterizedTest
    @EnumSource(Impl.class)
    void closesConnectionIdleBetweenFramesAtDeadline(Impl impl) throws Exception {
        try (LogCapture log = new LogCapture();
             Server server = Loomframe.start(config(impl).idleTimeout(Duration.ofMillis(300)).build());
             TestWire idler = new TestWire(server.port(), FORMAT)) {
            idler.write(FORMAT.encode("one".getBytes()));
            assertArrayEquals("one".getBytes(), idler.readFrame());
            assertTrue(idler.closedByServer(), "idle connection left open");
            Poll.until("idle close counted", () -> server.stats().closed(CloseReason.IDLE) == 1);
            assertEquals(1, log.containing("no complete frame within 300ms (--idle-timeout); between frames").size(),
                    () -> String.valueOf(log.lines));
        }
    }

    @ParameterizedTest
    @EnumSource(Impl.class)
    void refusesConnectionsOverMaxConnectionsAndKeepsServingTheOthers(Impl impl) throws Exception {
        int limit = 4, extra = 12;
        try (LogCapture log = new LogCapture();
             Server server = Loomframe.start(config(impl).maxConnections(limit).build())) {
            List<TestWire> admitted = new ArrayList<>();
            try {
                for (int i = 0; i < limit; i++) {
                    TestWire w = new TestWire(server.port(), FORMAT);
                    admitted.add(w);
                    echo(w, "hello " + i);                   // served, so it holds a slot
                }
                for (int i = 0; i < extra; i++) {
                    try (TestWire refused = new TestWire(server.port(), FORMAT)) {
                        assertTrue(refused.closedByServer(), "connection over the limit left open");
                    }
                }
                assertEquals(extra, server.stats().rejected());
                assertEquals(limit, server.stats().connections(), "rejected connections are not counted as served");
                for (int i = 0; i < limit; i++) echo(admitted.get(i), "still here " + i);

                List<LogCapture.Line> warnings = log.containing("over --max-connections " + limit);
                assertFalse(warnings.isEmpty(), "a warning says connections were rejected");
                assertTrue(warnings.size() < extra, "the warning is rate-limited: " + warnings);

                admitted.remove(0).close();                  // a slot frees up: a new client gets in
                Poll.until("slot released", () -> server.stats().openConnections() == limit - 1);
                try (TestWire late = new TestWire(server.port(), FORMAT)) {
                    echo(late, "late");
                }
                assertEquals(extra, server.stats().rejected());
            } finally {
                for (TestWire w : admitted) w.close();
            }
        }
    }

    /**
     * A client that pipelines 16 KiB frames and never reads. The server must stop reading from it
     * once the replies it owes reach a bounded amount, so the client's writes stall; everything it
     * sent is still answered, in order, once it reads.
     */
    @ParameterizedTest
    @EnumSource(Impl.class)
    void pausesAClientThatDoesNotReadItsReplies(Impl impl) throws Exception {
        int payloadSize = 16 * 1024;
        long target = 256L * 1024 * 1024;                    // far more than any bound; reached only if unbounded
        try (Server server = Loomframe.start(config(impl).build());
             Socket socket = new Socket()) {
            socket.setReceiveBufferSize(64 * 1024);
            socket.connect(new InetSocketAddress("127.0.0.1", server.port()));
            var framesWritten = new AtomicLong();
            var writerFailure = new AtomicReference<Throwable>();
            Thread writer = Thread.ofPlatform().daemon().start(() -> {
                try {
                    var out = socket.getOutputStream();
                    for (long seq = 0; seq * (payloadSize + 4) < target; seq++) {
                        out.write(FORMAT.encode(payload(seq, payloadSize)));
                        framesWritten.incrementAndGet();
                    }
                } catch (Throwable e) {
                    writerFailure.set(e);
                }
            });

            long stalledAt = awaitStall(framesWritten, writer);
            long bytesWritten = stalledAt * (payloadSize + 4);
            assertTrue(writer.isAlive(), "the client wrote " + target + " bytes without reading a reply");
            // Kernel socket buffers on both sides hold some of it; the server itself holds at most
            // --max-pending-replies plus one batch. 64 MiB is far above both, far below the target.
            assertTrue(bytesWritten < 64L * 1024 * 1024, "the server kept reading: " + bytesWritten + " bytes taken");
            long heldByServer = server.stats().bytesIn() - server.stats().bytesOut();
            assertTrue(heldByServer <= server.config().maxPendingReplies() + 4L * 64 * 1024,
                    "server holds " + heldByServer + " bytes of replies");

            try (GoodClient good = new GoodClient(server.port(), 4000)) {
                assertTrue(good.echoesMore(50), "good client not served while another client does not read");
            }

            // Now read: every reply arrives, in order, intact, and the writer gets to the end.
            socket.setSoTimeout(10_000);
            var in = new java.io.DataInputStream(new java.io.BufferedInputStream(socket.getInputStream(), 1 << 16));
            for (long seq = 0; ; seq++) {
                while (seq >= framesWritten.get() && writer.isAlive()) Thread.sleep(1);
                if (seq >= framesWritten.get()) break;
                int length = in.readInt();
                assertEquals(payloadSize, length, "frame " + seq);
                byte[] got = new byte[length];
                in.readFully(got);
                assertArrayEquals(payload(seq, payloadSize), got, "frame " + seq);
            }
            writer.join(10_000);
            assertEquals(null, writerFailure.get());
            assertEquals(target / (payloadSize + 4) + 1, framesWritten.get());
        }
    }

    /** Forty clients send a length above --max-frame at once: a few lines, the rest counted, no stack traces. */
    @ParameterizedTest
    @EnumSource(Impl.class)
    void rateLimitsIdenticalWarningsAndCountsTheRest(Impl impl) throws Exception {
        int bad = 40;
        try (LogCapture log = new LogCapture();
             Server server = Loomframe.start(config(impl).build())) {
            for (int i = 0; i < bad; i++) {
                try (TestWire w = new TestWire(server.port(), FORMAT)) {
                    w.write(new byte[] {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF});
                    assertTrue(w.closedByServer());
                }
            }
            Poll.until("all refused", () -> server.stats().closed(CloseReason.TOO_LARGE) == bad);
            Thread.sleep(1100);                              // the next second: the next line reports the count
            try (TestWire w = new TestWire(server.port(), FORMAT)) {
                w.write(new byte[] {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF});
                assertTrue(w.closedByServer());
            }
            Poll.until("last refused", () -> server.stats().closed(CloseReason.TOO_LARGE) == bad + 1);

            List<LogCapture.Line> lines = log.containing("announced length 4294967295 > --max-frame 16777216");
            assertTrue(lines.size() < bad, "warnings not rate-limited: " + lines.size() + " lines");
            long suppressed = 0;
            for (LogCapture.Line line : lines) {
                assertFalse(line.hasStackTrace(), line.message());
                assertEquals(1, line.message().lines().count(), "one line per connection: " + line.message());
                Matcher m = Pattern.compile("\\((\\d+) more 'too-large' lines suppressed\\)").matcher(line.message());
                if (m.find()) suppressed += Long.parseLong(m.group(1));
            }
            assertEquals(bad + 1, lines.size() + suppressed, "every refusal is either logged or counted: " + lines);
            try (TestWire w = new TestWire(server.port(), FORMAT)) {
                echo(w, "the server is fine");
            }
        }
    }

    static void echo(TestWire w, String text) throws IOException {
        w.write(FORMAT.encode(text.getBytes()));
        assertArrayEquals(text.getBytes(), w.readFrame());
    }

    /** A payload that says which frame it is, so order and content can both be checked. */
    static byte[] payload(long seq, int size) {
        byte[] p = new byte[size];
        ByteBuffer.wrap(p).putLong(seq);
        for (int i = 8; i < size; i++) p[i] = (byte) (seq * 31 + i);
        return p;
    }

    /** Waits until the writer made no progress for a second (or finished); returns frames written then. */
    private static long awaitStall(AtomicLong framesWritten, Thread writer) throws InterruptedException {
        long last = -1;
        int quiet = 0;
        while (writer.isAlive() && quiet < 10) {
            Thread.sleep(100);
            long now = framesWritten.get();
            quiet = now == last ? quiet + 1 : 0;
            last = now;
        }
        return framesWritten.get();
    }
}
