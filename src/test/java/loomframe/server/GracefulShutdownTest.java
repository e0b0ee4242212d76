package loomframe.server;

import static loomframe.server.HostileClientsTest.echo;
import static loomframe.server.HostileClientsTest.payload;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteOrder;
import java.time.Duration;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import loomframe.Loomframe;
import loomframe.Poll;
import loomframe.TestWire;
import loomframe.frame.FrameFormat;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@link Server#close()}: stop accepting at once, let every connection finish the frame it is in
 * and flush the replies it owes, and close what is left when the shutdown timeout runs out.
 */
@Timeout(40)
class GracefulShutdownTest {
    private static final FrameFormat FORMAT = FrameFormat.DEFAULT;

    @ParameterizedTest
    @EnumSource(Impl.class)
    void finishesFramesInProgressAndFlushesOwedRepliesOnClose(Impl impl) throws Exception {
        int midFrame = 20, complete = 10, frameSize = 50_000, pipelined = 5;
        Server server = Loomframe.start(ServerConfig.builder().impl(impl).port(0)
                .shutdownTimeout(Duration.ofSeconds(20)).build());
        List<TestWire> midFrameClients = new ArrayList<>(), completeClients = new ArrayList<>();
        try {
            long sent = 0;
            for (int i = 0; i < midFrame + complete; i++) {
                TestWire w = new TestWire(server.port(), FORMAT);
                echo(w, "warm-up " + i);                      // accepted and served before close
                sent += FORMAT.encode(("warm-up " + i).getBytes(StandardCharsets.UTF_8)).length;
                (i < midFrame ? midFrameClients : completeClients).add(w);
            }
            for (int i = 0; i < midFrame; i++) {              // half a frame each: prefix and some of the body
                byte[] frame = FORMAT.encode(payload(i, frameSize));
                int half = 5 + (i * 997) % (frameSize - 1);
                midFrameClients.get(i).write(Arrays.copyOf(frame, half));
                sent += half;
            }
            for (int i = 0; i < complete; i++) {              // whole frames, replies not read yet
                var all = new ArrayList<byte[]>();
                for (int k = 0; k < pipelined; k++) all.add(payload(1000L * i + k, frameSize));
                byte[] frames = TestWire.encodeAll(FORMAT, all);
                completeClients.get(i).write(frames);
                sent += frames.length;
            }

            // The server has read every byte sent: the frames are in progress (or complete) on its
            // side, not only in the kernel. (Not "buffered": busy connections reserve before reading.)
            long received = sent;
            Poll.until("server has read every byte sent", () -> server.stats().bytesIn() >= received
                            && server.stats().frames() >= midFrame + complete + complete * pipelined);
            CompletableFuture<Void> closing = CompletableFuture.runAsync(server::close);

            // Stop accepting at once: new connections are refused while old ones are still mid-frame.
            Poll.until("new connections refused", refused.apply(server.port()));
            assertTrue(!closing.isDone(), "close() returned while clients were mid-frame");

            for (int i = 0; i < midFrame; i++) {              // finish the frames: each is answered, then closed
                TestWire w = midFrameClients.get(i);
                byte[] frame = FORMAT.encode(payload(i, frameSize));
                int half = 5 + (i * 997) % (frameSize - 1);
                w.write(Arrays.copyOfRange(frame, half, frame.length));
                assertArrayEquals(payload(i, frameSize), w.readFrame(), "mid-frame client " + i);
                assertTrue(w.closedByServer(), "mid-frame client " + i + " not closed after its frame");
            }
            for (int i = 0; i < complete; i++) {
                TestWire w = completeClients.get(i);
                for (int k = 0; k < pipelined; k++) {
                    assertArrayEquals(payload(1000L * i + k, frameSize), w.readFrame(), "client " + i + " frame " + k);
                }
                assertTrue(w.closedByServer(), "client " + i + " not closed after its replies");
            }
            closing.get(20, TimeUnit.SECONDS);
            assertEquals(0, server.stats().forcedAtShutdown(), server.stats().toString());
            // Every connection ended by shutdown (the probes above may have been accepted just before it began).
            assertEquals(java.util.Map.of(CloseReason.SHUTDOWN, server.stats().connections()), server.stats().closedByReason());
            assertTrue(server.stats().connections() >= midFrame + complete);
            assertEquals(0, server.stats().openConnections());
        } finally {
            server.close();
            for (TestWire w : midFrameClients) w.close();
            for (TestWire w : completeClients) w.close();
        }
    }

    @ParameterizedTest
    @EnumSource(Impl.class)
    void closeReturnsAfterTheTimeoutWhenAClientNeverFinishesItsFrame(Impl impl) throws Exception {
        Duration timeout = Duration.ofSeconds(1);
        Server server = Loomframe.start(ServerConfig.builder().impl(impl).port(0).shutdownTimeout(timeout).build());
        try (TestWire stuck = new TestWire(server.port(), FORMAT);
             TestWire idle = new TestWire(server.port(), FORMAT)) {
            echo(stuck, "about to stall");
            echo(idle, "about to idle");
            stuck.write(TestWire.rawHeader(4, ByteOrder.BIG_ENDIAN, 1000));
            stuck.write(new byte[10]);                        // and nothing more, ever
            long sent = (4 + "about to stall".length()) + (4 + "about to idle".length()) + 4 + 10;
            Poll.until("server holds the partial frame", () -> server.stats().bytesIn() == sent && server.stats().bufferedBytes() > 0);

            long start = System.nanoTime();
            server.close();
            long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            // Generous slack over the 1 s timeout: the point is that close() does not wait for the stuck frame.
            assertTrue(tookMs < timeout.toMillis() + 5_000, "close() took " + tookMs + " ms");
            assertEquals(1, server.stats().forcedAtShutdown(), server.stats().toString());
            assertEquals(1L, server.stats().closed(CloseReason.FORCED), server.stats().toString());
            assertEquals(1L, server.stats().closed(CloseReason.SHUTDOWN), server.stats().toString());
            assertTrue(stuck.closedByServer());
            assertTrue(idle.closedByServer());
        } finally {
            server.close();
        }
    }

    /**
     * A connection waiting between frames is closed by shutdown at once, whatever its last read
     * looked like. Here the frames fill the server's read buffers exactly (a 4-byte prefix, then
     * 64 KiB), so a server that reads a batch after a full read is left waiting in a batch read.
     */
    @ParameterizedTest
    @EnumSource(Impl.class)
    void closesConnectionWaitingBetweenFramesAtOnceAfterAFullRead(Impl impl) throws Exception {
        Server server = Loomframe.start(ServerConfig.builder().impl(impl).port(0)
                .shutdownTimeout(Duration.ofSeconds(3)).build());
        try (TestWire w = new TestWire(server.port(), FORMAT)) {
            var frames = new ArrayList<byte[]>();
            for (int k = 0; k < 4; k++) frames.add(payload(k, 16_381));   // 4 × (4 + 16381) = 4 + 65536 bytes
            w.write(TestWire.encodeAll(FORMAT, frames));
            for (byte[] f : frames) assertArrayEquals(f, w.readFrame());
            server.close();
            assertEquals(0, server.stats().forcedAtShutdown(), server.stats().toString());
            assertEquals(1L, server.stats().closed(CloseReason.SHUTDOWN), server.stats().toString());
            assertTrue(w.closedByServer());
        } finally {
            server.close();
        }
    }

    /** The same on SIGTERM to {@code loomframe serve}: frames in progress finish, the final stats line is printed, exit 0. */
    @ParameterizedTest
    @EnumSource(Impl.class)
    void finishesFramesInProgressOnSigtermThenPrintsStatsAndExitsZero(Impl impl) throws Exception {
        int clients = 5, frameSize = 30_000;
        List<TestWire> midFrameClients = new ArrayList<>(), completeClients = new ArrayList<>();
        try (ChildProcess child = ChildProcess.serve(List.of("-Xmx64m"), "--impl", impl.cliName(), "--shutdown-timeout", "20s",
                "--stats-interval", "50ms")) {
            long sent = 0;
            for (int i = 0; i < 2 * clients; i++) {
                TestWire w = new TestWire(child.port, FORMAT);
                echo(w, "warm-up " + i);
                sent += FORMAT.encode(("warm-up " + i).getBytes(StandardCharsets.UTF_8)).length;
                (i < clients ? midFrameClients : completeClients).add(w);
            }
            for (int i = 0; i < clients; i++) {
                byte[] frame = FORMAT.encode(payload(i, frameSize));
                midFrameClients.get(i).write(Arrays.copyOf(frame, 4 + frameSize / 2));
                completeClients.get(i).write(FORMAT.encode(payload(100 + i, frameSize)));   // reply not read yet
                sent += 4 + frameSize / 2 + 4 + frameSize;
            }
            // Signal only once the server has read every byte sent (its stats lines say so): frames
            // in progress on its side, not merely in the kernel. (Not "buffered": a busy connection
            // reserves chunks before it reads into them.)
            long framesBefore = 2L * clients + clients, received = sent;
            Poll.until("server has read every byte sent", () -> child.stdout.stream().anyMatch(l ->
                    l.startsWith("stats") && statsValue(l, "frames") >= framesBefore && statsValue(l, "bytes_in") >= received));
            child.process.toHandle().destroy();               // SIGTERM
            Poll.until("new connections refused", refused.apply(child.port));
            for (int i = 0; i < clients; i++) {
                TestWire w = midFrameClients.get(i);
                byte[] frame = FORMAT.encode(payload(i, frameSize));
                byte[] reply;
                try {
                    w.write(Arrays.copyOfRange(frame, 4 + frameSize / 2, frame.length));
                    reply = w.readFrame();
                } catch (IOException e) {
                    throw new AssertionError("mid-frame client " + i + ": " + e + child.diagnostics(), e);
                }
                assertArrayEquals(payload(i, frameSize), reply, "mid-frame client " + i);
                assertTrue(w.closedByServer());
            }
            for (int i = 0; i < clients; i++) {
                TestWire w = completeClients.get(i);
                byte[] reply;
                try {
                    reply = w.readFrame();
                } catch (IOException e) {
                    throw new AssertionError("client " + i + ", frame sent before the signal: " + e + child.diagnostics(), e);
                }
                assertArrayEquals(payload(100 + i, frameSize), reply, "client " + i + " frame sent before the signal");
                assertTrue(w.closedByServer());
            }
            assertEquals(0, child.terminate(), "exit status" + child.diagnostics());
            String last = child.stdout.getLast();
            assertTrue(last.startsWith("final stats") && !last.contains("forced_at_shutdown"), child.diagnostics());
            assertTrue(last.matches(".*closed=\\{shutdown=\\d+\\}.*"), "every connection ended by shutdown" + child.diagnostics());
        } finally {
            for (TestWire w : midFrameClients) w.close();
            for (TestWire w : completeClients) w.close();
        }
    }

    /** {@code frames=123} or {@code buffered=456/789} from a stats line. */
    private static long statsValue(String line, String key) {
        var m = java.util.regex.Pattern.compile(" " + key + "=(\\d+)").matcher(line);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    private static final java.util.function.Function<Integer, java.util.function.BooleanSupplier> refused =
            port -> () -> {
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
                    s.setSoTimeout(2000);
                    return s.getInputStream().read() < 0;  // accepted by a closing listener and closed: refused too
                } catch (ConnectException e) {
                    return true;
                } catch (IOException e) {
                    return true;                           // reset: refused
                }
            };
}
