package loomframe.server.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import loomframe.Loomframe;
import loomframe.TestWire;
import loomframe.frame.FrameFormat;
import loomframe.server.Impl;
import loomframe.server.Server;
import loomframe.server.ServerConfig;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The four {@code loomframe.*} JFR events, recorded in this JVM and read back from the file with
 * {@link RecordingFile}, as {@code jfr print} would: each provoked on purpose, on every implementation.
 * Events are matched by the client's own port, so nothing else in the JVM can be mistaken for them.
 */
@Timeout(90)
class EventsTest {
    private static final int KIB = 1024;
    private static final FrameFormat FORMAT = FrameFormat.DEFAULT.withMaxFrame(64 * KIB);
    private static final List<String> NAMES = List.of("loomframe.ConnectionClosed", "loomframe.ProtocolError", "loomframe.BudgetWait");

    @ParameterizedTest
    @EnumSource(Impl.class)
    void recordsConnectionClosedProtocolErrorAndBudgetWaitWithTheirFields(Impl impl) throws Exception {
        // A 16 KiB budget: two 64 KiB frames in progress cannot both be held, so the second waits.
        ServerConfig config = ServerConfig.builder().port(0).impl(impl).format(FORMAT).maxBuffered(16 * KIB).build();
        Path file = Files.createTempFile("loomframe-events", ".jfr");
        int eofPeer, tooLargePeer, waiterPeer;
        try (var recording = new Recording()) {
            for (String name : NAMES) recording.enable(name);
            recording.start();
            try (Server server = Loomframe.start(config)) {
                eofPeer = twoEchoesThenEof(server.port());
                tooLargePeer = announcesTooMuch(server.port());
                waiterPeer = waitsForTheBudget(server);
            }
            recording.stop();
            recording.dump(file);
        }
        try {
            List<RecordedEvent> events = RecordingFile.readAllEvents(file);

            RecordedEvent closed = only(events, "loomframe.ConnectionClosed", peer(eofPeer));
            assertEquals(impl.cliName(), closed.getString("impl"));
            assertEquals("eof", closed.getString("reason"));
            assertEquals(2, closed.getLong("frames"));
            assertEquals(2 * (4 + 5), closed.getLong("bytesIn"));
            assertEquals(2 * (4 + 5), closed.getLong("bytesOut"));
            assertTrue(closed.getDuration("connectedFor").toNanos() > 0, closed.toString());
            assertEquals("too-large", only(events, "loomframe.ConnectionClosed", peer(tooLargePeer)).getString("reason"));

            RecordedEvent protocol = only(events, "loomframe.ProtocolError", peer(tooLargePeer));
            assertEquals("too-large", protocol.getString("reason"));
            assertTrue(protocol.getString("message").contains("--max-frame 65536"), protocol.toString());

            List<RecordedEvent> waits = all(events, "loomframe.BudgetWait", peer(waiterPeer));   // one per refusal: a frame may be refused twice
            assertTrue(!waits.isEmpty(), impl + ": no BudgetWait event for the client that waited");
            assertTrue(waits.stream().mapToLong(e -> e.getDuration("waited").toNanos()).sum() > 0, waits.toString());
            assertTrue(waits.stream().allMatch(e -> e.getLong("bytes") > 0), "each wait says what it asked for: " + waits);

        } finally {
            Files.deleteIfExists(file);
        }
    }

    /** On every implementation: the blocking ones see a write that had to wait, the async one a partial write. */
    @ParameterizedTest
    @EnumSource(Impl.class)
    void recordsBackpressureWhenAClientReadsItsRepliesLate(Impl impl) throws Exception {
        ServerConfig config = ServerConfig.builder().port(0).impl(impl).format(FrameFormat.DEFAULT).build();
        Path file = Files.createTempFile("loomframe-events", ".jfr");
        int slowReaderPeer;
        try (var recording = new Recording()) {
            recording.enable("loomframe.Backpressure");
            recording.start();
            try (Server server = Loomframe.start(config)) {
                slowReaderPeer = readsItsRepliesLate(server);
            }
            recording.stop();
            recording.dump(file);
        }
        try {
            List<RecordedEvent> events = RecordingFile.readAllEvents(file);
            List<RecordedEvent> paused = all(events, "loomframe.Backpressure", peer(slowReaderPeer));
            assertTrue(!paused.isEmpty(), impl + ": no Backpressure event for the client that read its replies late; "
                    + all(events, "loomframe.Backpressure", e -> true));
            for (RecordedEvent e : paused) {
                assertTrue(e.getDuration("paused").toNanos() > 0 && e.getLong("bytes") > 0, e.toString());
                assertEquals(List.of("loomframe"), e.getEventType().getCategoryNames());
            }
        } finally {
            Files.deleteIfExists(file);
        }
    }

    /** Two 5-byte frames echoed, then a clean close; returns the client's port. */
    private static int twoEchoesThenEof(int port) throws Exception {
        try (var wire = new TestWire(port, FORMAT)) {
            for (int i = 0; i < 2; i++) {
                wire.write(FORMAT.encode("hello".getBytes()));
                assertArrayEquals("hello".getBytes(), wire.readFrame());
            }
            return wire.socket.getLocalPort();
        }
    }

    private static int announcesTooMuch(int port) throws Exception {
        try (var wire = new TestWire(port, FORMAT)) {
            wire.write(new byte[] {0, 0x10, 0, 0});                // 1 MiB > --max-frame 64 KiB
            assertTrue(wire.closedByServer());
            return wire.socket.getLocalPort();
        }
    }

    /**
     * One client holds most of a 64 KiB frame (the budget and its overdraft go to it); a second sends a
     * whole 64 KiB frame and must wait in line until the first finishes. Returns the waiter's port.
     */
    private static int waitsForTheBudget(Server server) throws Exception {
        byte[] frame = FORMAT.encode(new byte[64 * KIB]);
        try (var holder = new TestWire(server.port(), FORMAT); var waiter = new TestWire(server.port(), FORMAT)) {
            holder.out.write(frame, 0, 40 * KIB);
            holder.out.flush();
            await("the holder's frame is past the budget", () -> server.stats().bufferedBytes() > 16 * KIB);
            waiter.write(frame);
            await("the second frame waits for the budget", () -> server.stats().connectionsWaitingForBudget() >= 1);
            holder.out.write(frame, 40 * KIB, frame.length - 40 * KIB);
            holder.out.flush();
            assertEquals(64 * KIB, holder.readFrame().length);
            assertEquals(64 * KIB, waiter.readFrame().length);
            return waiter.socket.getLocalPort();
        }
    }

    /**
     * Sends 16 MiB in 1 MiB frames without reading (a small receive buffer, so the replies cannot all sit
     * in the kernel), waits until the server has stopped reading from it, then reads every reply. A
     * reply batch of a MiB cannot fit the socket's free space at once, so the server sees a partial
     * write: its backpressure. Returns the client's port.
     */
    private static int readsItsRepliesLate(Server server) throws Exception {
        int frames = 16, size = 1024 * KIB;
        byte[] frame = FrameFormat.DEFAULT.encode(new byte[size]);
        try (var socket = new Socket()) {
            socket.setReceiveBufferSize(8 * KIB);
            socket.setSoTimeout(20_000);
            socket.connect(new InetSocketAddress("127.0.0.1", server.port()), 5000);
            long before = server.stats().bytesIn();
            OutputStream out = socket.getOutputStream();
            Thread writer = Thread.ofPlatform().daemon().start(() -> {
                try {
                    for (int i = 0; i < frames; i++) out.write(frame);
                    out.flush();
                } catch (IOException ignored) {
                    // the reads below fail the test if the frames did not all get through
                }
            });
            await("the server has read 2 MiB from the slow reader", () -> server.stats().bytesIn() - before > 2 * size);
            long stalled;
            do {                                   // until its reading stops: the replies owed are at their bound
                stalled = server.stats().bytesIn();
                Thread.sleep(100);
            } while (server.stats().bytesIn() != stalled);
            var in = new DataInputStream(socket.getInputStream());
            for (int i = 0; i < frames; i++) {
                assertEquals(size, in.readInt());
                in.skipNBytes(size);
            }
            writer.join(10_000);
            return socket.getLocalPort();
        }
    }

    private static Predicate<RecordedEvent> peer(int clientPort) {
        return e -> e.getString("peer").equals("127.0.0.1:" + clientPort);
    }

    private static List<RecordedEvent> all(List<RecordedEvent> events, String name, Predicate<RecordedEvent> which) {
        return events.stream().filter(e -> e.getEventType().getName().equals(name)).filter(which).toList();
    }

    private static RecordedEvent only(List<RecordedEvent> events, String name, Predicate<RecordedEvent> which) {
        List<RecordedEvent> found = all(events, name, which);
        assertEquals(1, found.size(), name + ": " + found);
        assertEquals(List.of("loomframe"), found.get(0).getEventType().getCategoryNames());
        return found.get(0);
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) throw new AssertionError("timed out waiting for: " + what);
            Thread.sleep(5);
        }
    }
}
