package loomframe.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import loomframe.frame.FrameFormat;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Memory follows bytes received, and the global {@code --max-buffered} budget holds, with a 64 MiB
 * heap: a child server JVM (which exits at the first {@link OutOfMemoryError}) is attacked by
 * 1,000 connections that announce 16 MiB and send 4 KiB, 100 that pipeline without reading, and
 * 4 honest clients that each send a whole 16 MiB frame. A good client keeps getting correct
 * echoes throughout, and the 16 MiB frames come back intact.
 */
@Timeout(120)
class SmallHeapUnderAttackTest {
    private static final FrameFormat FORMAT = FrameFormat.DEFAULT;
    private static final int ANNOUNCERS = 1000, PIPELINERS = 100, BIG_CLIENTS = 4;
    private static final int BIG = FrameFormat.DEFAULT_MAX_FRAME;

    @ParameterizedTest
    @EnumSource(Impl.class)
    void survivesAnnouncersPipelinersAndWholeMaxFramesAt64MiB(Impl impl) throws Exception {
        List<AutoCloseable> attackers = new ArrayList<>();
        try (ChildProcess child = new ChildProcess(List.of("-Xmx64m", "-XX:+ExitOnOutOfMemoryError"),
                "impl=" + impl.cliName(), "idle-timeout-ms=60000", "stats-interval-ms=1000");
             GoodClient good = new GoodClient(child.port, 2000)) {
            assertTrue(good.echoesMore(10), "good client not served before the attack" + child.diagnostics());

            byte[] announce = ByteBuffer.allocate(4 + 4096).putInt(BIG).array();
            for (int i = 0; i < ANNOUNCERS; i++) {             // "16 MiB coming", then 4 KiB, then nothing
                Socket s = new Socket();
                attackers.add(s);
                s.connect(new InetSocketAddress("127.0.0.1", child.port), 10_000);
                s.getOutputStream().write(announce);
            }
            byte[] small = FORMAT.encode(new byte[1020]);
            for (int i = 0; i < PIPELINERS; i++) {            // frames until the kernel takes no more; never read
                SocketChannel ch = SocketChannel.open(new InetSocketAddress("127.0.0.1", child.port));
                attackers.add(ch);
                ch.configureBlocking(false);
                ByteBuffer frames = ByteBuffer.allocate(64 * small.length);
                while (frames.hasRemaining()) frames.put(small);
                for (long total = 0; total < 4L * 1024 * 1024; ) {
                    frames.clear();
                    int n = ch.write(frames);
                    if (n == 0) break;
                    total += n;
                }
            }
            assertTrue(good.echoesMore(20), "good client starved by announcers and pipeliners" + child.diagnostics());

            List<CompletableFuture<Boolean>> big = new ArrayList<>();
            for (int i = 0; i < BIG_CLIENTS; i++) {
                int seed = i;
                big.add(CompletableFuture.supplyAsync(() -> sendWholeMaxFrame(child.port, seed),
                        r -> Thread.ofPlatform().daemon().start(r)));
            }
            int intact = 0;
            for (var f : big) {
                if (f.get(90, TimeUnit.SECONDS)) intact++;
            }
            assertTrue(child.process.isAlive(), "child server died" + child.diagnostics());
            assertTrue(good.echoesMore(20), "good client not served after the attack" + child.diagnostics());
            assertEquals(BIG_CLIENTS, intact, "16 MiB frames echoed intact" + child.diagnostics());

            for (AutoCloseable a : attackers) a.close();
            attackers.clear();
            good.close();
            assertEquals(0, child.terminate(), "exit status after SIGTERM" + child.diagnostics());
            String last = child.stdout.stream().filter(l -> l.startsWith("final stats ")).findFirst().orElse("no final stats line");
            assertEquals(last, child.stdout.getLast(), "the final stats line is the last line" + child.diagnostics());
            assertTrue(child.stderr.stream().noneMatch(l -> l.contains("OutOfMemoryError")), child.diagnostics());
            System.out.println(impl + ": " + last);
        } finally {
            for (AutoCloseable a : attackers) a.close();
        }
    }

    /** Sends one 16 MiB frame and reads its echo; true if it came back byte for byte. */
    private static boolean sendWholeMaxFrame(int port, int seed) {
        byte[] payload = new byte[BIG];
        new Random(seed).nextBytes(payload);
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
            s.setSoTimeout(80_000);
            OutputStream out = s.getOutputStream();
            out.write(ByteBuffer.allocate(4).order(ByteOrder.BIG_ENDIAN).putInt(BIG).array());
            out.write(payload);
            out.flush();
            var in = new DataInputStream(s.getInputStream());
            int length = in.readInt();
            if (length != BIG) return false;
            byte[] echo = new byte[length];
            in.readFully(echo);
            assertArrayEquals(payload, echo);
            return true;
        } catch (IOException e) {
            System.err.println("16 MiB client " + seed + ": " + e);
            return false;
        }
    }

}
