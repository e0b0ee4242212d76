package loomframe.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import loomframe.Loomframe;
import loomframe.TestWire;
import loomframe.frame.FrameFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code ioThreads}: the threads that run connections (the command line's {@code --io-threads}). */
@Timeout(60)
class IoThreadsTest {

    @Test
    void asyncServerRunsEveryConnectionOnItsGroupOfIoThreads() throws Exception {
        Set<String> threads = ConcurrentHashMap.newKeySet();
        FrameHandler echoNotingThread = (payload, replies) -> {
            threads.add(Thread.currentThread().getName());
            replies.reply(payload);
        };
        ServerConfig config = ServerConfig.builder().impl(Impl.ASYNC).port(0).ioThreads(3).handler(echoNotingThread).build();
        assertEquals(3, config.ioThreadCount());
        try (Server server = Loomframe.start(config)) {
            List<TestWire> clients = new ArrayList<>();
            try {
                for (int i = 0; i < 8; i++) clients.add(new TestWire(server.port(), FrameFormat.DEFAULT));
                for (int round = 0; round < 50; round++) {
                    for (TestWire c : clients) c.write(FrameFormat.DEFAULT.encode(new byte[] {(byte) round}));
                    for (TestWire c : clients) assertArrayEquals(new byte[] {(byte) round}, c.readFrame());
                }
            } finally {
                for (TestWire c : clients) c.close();
            }
        }
        assertFalse(threads.isEmpty());
        assertTrue(threads.size() <= 3, "8 connections on at most 3 I/O threads: " + threads);
        assertTrue(threads.stream().allMatch(t -> t.startsWith("loomframe-async-")), threads.toString());
    }

    @Test
    void defaultIsOneIoThreadPerCore() {
        ServerConfig config = ServerConfig.builder().impl(Impl.ASYNC).build();
        assertEquals(0, config.ioThreads());
        assertEquals(Runtime.getRuntime().availableProcessors(), config.ioThreadCount());
    }

    /** A program cannot size the JVM's virtual-thread scheduler after the fact: the server says so. */
    @Test
    void blockingServerWarnsWhenTheCarrierCountItWasGivenIsNotTheJvms() throws Exception {
        int asked = Runtime.getRuntime().availableProcessors() + 5;  // never this JVM's setting
        try (LogCapture log = new LogCapture();
             Server server = Loomframe.start(ServerConfig.builder().impl(Impl.BLOCKING).port(0).ioThreads(asked).build());
             TestWire client = new TestWire(server.port(), FrameFormat.DEFAULT)) {
            client.write(FrameFormat.DEFAULT.encode("still serves".getBytes()));
            assertArrayEquals("still serves".getBytes(), client.readFrame());
            List<LogCapture.Line> warnings = log.containing("ioThreads " + asked + " asked, but " + ServerConfig.CARRIERS_PROPERTY);
            assertEquals(1, warnings.size(), () -> String.valueOf(log.lines));
            assertTrue(warnings.get(0).message().contains("-D" + ServerConfig.CARRIERS_PROPERTY + "=" + asked),
                    warnings.get(0).message());
        }
    }

    @Test
    void platformServerHasNoIoThreadsToSize() {
        var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> ServerConfig.builder().impl(Impl.PLATFORM).ioThreads(2).build());
        assertTrue(e.getMessage().startsWith("--io-threads is for --impl blocking or async"), e.getMessage());
    }
}
