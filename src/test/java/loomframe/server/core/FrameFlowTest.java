package loomframe.server.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import loomframe.TestSeeds;
import loomframe.TestWire;
import loomframe.frame.FrameException;
import loomframe.frame.FrameFormat;
import loomframe.frame.FrameTooLargeException;
import loomframe.frame.TruncatedFrameException;
import loomframe.server.CloseReason;
import loomframe.server.Payload;
import loomframe.server.core.FlowDriver.Source;
import loomframe.server.core.FrameFlow.Step;
import org.junit.jupiter.api.Test;

/** The read policy and the steps of a connection, without sockets: every split, the budget, the memory held, shutdown. */
class FrameFlowTest {
    private static final int CHUNK = ChunkPool.CHUNK_SIZE;
    private static final long PLENTY = 64L << 20;
    private static final int MAX_PENDING = 1 << 20;

    /** Sizes that matter to the flow: one chunk with and without its header, just over, several chunks. */
    private static final int[] INTERESTING = {0, 1, CHUNK - 5, CHUNK - 4, CHUNK - 3, CHUNK, CHUNK + 1, 2 * CHUNK,
            3 * CHUNK + 7, 65_536, 300_000};

    private static void assertEchoedInOrder(FlowDriver d, List<byte[]> frames, FrameFormat format, String context) {
        assertEquals(frames.size(), d.frames.size(), "frames taken, " + context);
        for (int i = 0; i < frames.size(); i++) assertArrayEquals(frames.get(i), d.frames.get(i), "frame " + i + ", " + context);
        assertArrayEquals(TestWire.encodeAll(format, frames), d.written.toByteArray(), "exactly one echo per frame, in order, " + context);
    }

    @Test
    void echoesEveryFrameOnceInOrderHoweverTheStreamIsCut() throws Exception {
        long seed = TestSeeds.seed("echoesEveryFrameOnceInOrderHoweverTheStreamIsCut");
        var random = new Random(seed);
        for (int round = 0; round < 500; round++) {
            FrameFormat format = TestWire.randomFormat(random);
            List<byte[]> frames = TestWire.randomFrames(random, format, 8, 300_000, INTERESTING);
            byte[] wire = TestWire.encodeAll(format, frames);
            String context = "seed=" + seed + " round=" + round + " format=" + format;
            try (var d = new FlowDriver(format, PLENTY, MAX_PENDING)) {
                assertEquals(Step.END, d.run(new Source().add(wire, TestWire.randomCuts(random, wire.length, 20)).end()), context);
                assertEquals(CloseReason.EOF, d.flow.endReason());
                assertEchoedInOrder(d, frames, format, context);
                d.close();
                assertEquals(0, d.budget.used(), "every byte given back, " + context);
                assertEquals(0, d.pool.chunksInUse(), "every chunk back in the pool, " + context);
            }
        }
    }

    @Test
    void echoesAStreamCutAtEveryPairOfPositions() throws Exception {
        FrameFormat format = FrameFormat.DEFAULT;
        List<byte[]> frames = List.of("hello, world".getBytes(), new byte[0], "!".getBytes(), new byte[CHUNK]);
        byte[] wire = TestWire.encodeAll(format, frames);
        for (int a = 1; a < wire.length; a += a < 40 || a > wire.length - 40 ? 1 : 97) {
            for (int b = a; b < wire.length; b += b < 40 || b > wire.length - 40 ? 1 : 89) {
                try (var d = new FlowDriver(format, PLENTY, MAX_PENDING)) {
                    d.run(new Source().add(wire, a, b).end());
                    assertEchoedInOrder(d, frames, format, "cuts " + a + "," + b);
                }
            }
        }
    }

    @Test
    void handsOutFramesAsViewsOfTheDirectChunksTheyWereReadInto() throws Exception {
        byte[] payload = TestWire.randomBytes(new Random(1), 3 * CHUNK);
        List<Payload> seen = new ArrayList<>();
        try (var d = new FlowDriver(FrameFormat.DEFAULT, PLENTY, MAX_PENDING)) {
            d.handler = (p, replies) -> {
                seen.add(p);
                replies.reply(p);
            };
            d.run(new Source().add(FrameFormat.DEFAULT.encode(payload)).end());
            Payload p = seen.get(0);
            assertTrue(p.partCount() >= 3, "a frame of three chunks arrives in its chunks: " + p);
            for (int i = 0; i < p.partCount(); i++) {
                assertTrue(p.part(i).isDirect() && p.part(i).isReadOnly(), "a read-only view of a direct chunk, no copy");
            }
        }
    }

    @Test
    void readsAFrameAndTheFramesBehindItWithOneReadOnceBusy() throws Exception {
        byte[] frame = FrameFormat.DEFAULT.encode(new byte[1000]);
        try (var d = new FlowDriver(FrameFormat.DEFAULT, PLENTY, MAX_PENDING)) {
            var source = new Source();
            for (int i = 0; i < 3; i++) {                       // a request/response exchange, one frame at a time
                source.add(frame);
                d.run(source);
            }
            assertEquals(CHUNK, d.flow.heldBytes(), "busy: it keeps one chunk between frames");
            d.steps.clear();
            source.add(frame);
            d.run(source);
            assertEquals(List.of(Step.READ, Step.FRAME, Step.WRITE, Step.READ), d.steps,
                    "length field and body in one read: " + d.steps);
        }
    }

    /**
     * 16 frames of 1 KiB pipelined, arriving together batch after batch: once the read-ahead has
     * grown, the whole batch comes with one read, though reads in the middle of a frame are
     * limited by nothing but the read-ahead (the case 1 KiB x 100 x 16 measures: 0.35 reads per
     * frame before reads inside a body read ahead too).
     */
    @Test
    void readsAPipelinedBatchOfSmallFramesWithOneReadOnceWarmedUp() throws Exception {
        byte[] frame = FrameFormat.DEFAULT.encode(new byte[1024]);
        byte[] batch = new byte[16 * frame.length];
        for (int i = 0; i < 16; i++) System.arraycopy(frame, 0, batch, i * frame.length, frame.length);
        try (var d = new FlowDriver(FrameFormat.DEFAULT, PLENTY, MAX_PENDING)) {
            var source = new Source();
            for (int i = 0; i < 8; i++) {                        // the read-ahead grows while reads come back full
                source.add(batch);
                d.run(source);
            }
            d.steps.clear();
            source.add(batch);
            d.run(source);
            assertEquals(16, d.steps.stream().filter(s -> s == Step.FRAME).count());
            assertEquals(2, d.steps.stream().filter(s -> s == Step.READ).count(),
                    "one read for the batch, then the read it waits in: " + d.steps);
        }
    }

    @Test
    void parksHoldingNoChunkAfterOneExchange() throws Exception {
        try (var d = new FlowDriver(FrameFormat.DEFAULT, PLENTY, MAX_PENDING)) {
            assertEquals(Step.READ, d.run(new Source().add(FrameFormat.DEFAULT.encode(new byte[1000]))));
            assertEquals(0, d.flow.heldBytes(), "not busy: it waits on its length-field window");
            assertEquals(1, d.flow.readLength());
            assertEquals(4, d.flow.readBuffers()[0].remaining(), "the read it parks on is the 4-byte length field");
            assertTrue(d.parkedBetweenFrames);
        }
    }

    @Test
    void holdsWhatArrivedPlusOneChunkForAFrameThatAnnouncesTheMaximum() throws Exception {
        try (var d = new FlowDriver(FrameFormat.DEFAULT, PLENTY, MAX_PENDING)) {
            var source = new Source().add(new byte[] {1, 0, 0, 0}).add(new byte[4096]);
            assertEquals(Step.READ, d.run(source));
            assertTrue(d.flow.heldBytes() <= 4096 + CHUNK, "held " + d.flow.heldBytes());
            assertEquals("body after 4096 of 16777216 bytes", d.flow.progress());
        }
    }

    @Test
    void heldMemoryFollowsTheBytesThatArriveForAnyCut() throws Exception {
        long seed = TestSeeds.seed("heldMemoryFollowsTheBytesThatArriveForAnyCut");
        var random = new Random(seed);
        for (int round = 0; round < 200; round++) {
            int announced = 1 + random.nextInt(16 << 20);
            int sent = random.nextInt(Math.min(announced, 200_000));
            byte[] wire = ByteBuffer.allocate(4 + sent).putInt(announced).array();
            try (var d = new FlowDriver(FrameFormat.DEFAULT, PLENTY, MAX_PENDING)) {
                var source = new Source().add(wire, TestWire.randomCuts(random, wire.length, 30));
                assertEquals(Step.READ, d.run(source));
                // At rest: what arrived, in whole chunks, plus the read it waits on: one chunk, or twice what recent reads brought.
                long bound = ((long) sent + CHUNK - 1) / CHUNK * CHUNK + CHUNK + Math.max(CHUNK, 2L * sent);
                assertTrue(d.flow.heldBytes() <= bound, d.steps + " seed=" + seed + " round=" + round + ": held " + d.flow.heldBytes()
                        + " for " + sent + " of " + announced + " bytes");
            }
        }
    }

    @Test
    void waitsForTheBudgetAndGoesOnOnceGranted() throws Exception {
        var budget = new BufferBudget(8 * CHUNK, 4 * CHUNK, 0);
        byte[] payload = TestWire.randomBytes(new Random(2), 10 * CHUNK);
        try (var hog = new FlowDriver(FrameFormat.DEFAULT, budget, MAX_PENDING);
             var overdrawn = new FlowDriver(FrameFormat.DEFAULT, budget, hog.pool, MAX_PENDING);
             var d = new FlowDriver(FrameFormat.DEFAULT, budget, hog.pool, MAX_PENDING)) {
            assertEquals(8 * CHUNK, hog.account.acquire(8 * CHUNK, CHUNK), "one connection holds the whole share");
            assertEquals(0, overdrawn.account.acquire(4 * CHUNK, CHUNK));
            overdrawn.account.await(() -> {});
            assertEquals(4 * CHUNK, overdrawn.account.acquire(4 * CHUNK, CHUNK), "another the overdraft");
            var source = new Source().add(FrameFormat.DEFAULT.encode(payload)).end();
            assertEquals(Step.AWAIT_BUDGET, d.run(source));
            var granted = new boolean[1];
            d.account.await(() -> granted[0] = true);
            assertFalse(granted[0], "nothing left, and the overdraft is taken: it waits");
            hog.account.release(8 * CHUNK);
            assertTrue(granted[0], "released bytes are granted to the waiter");
            Step step;
            while ((step = d.run(source)) == Step.AWAIT_BUDGET) {   // 10 chunks in a share of 8: it must overdraw
                overdrawn.close();                                   // once the other frame is gone, it may
                var again = new boolean[1];
                d.account.await(() -> again[0] = true);
                assertTrue(again[0], "alone in line, the oldest frame may overdraw the share");
            }
            assertEquals(Step.END, step);
            assertEquals(1, d.frames.size());
            assertArrayEquals(payload, d.frames.get(0));
        }
    }

    @Test
    void servesSmallFramesFromTheReserveWhileTheShareIsSpent() throws Exception {
        var budget = new BufferBudget(8 * CHUNK, 16 * CHUNK, 4 * CHUNK);
        try (var hog = new FlowDriver(FrameFormat.DEFAULT, budget, MAX_PENDING);
             var d = new FlowDriver(FrameFormat.DEFAULT, budget, hog.pool, MAX_PENDING)) {
            hog.account.acquire(8 * CHUNK, CHUNK);
            var waiter = budget.open();
            assertEquals(0, waiter.acquire(CHUNK, CHUNK));
            waiter.await(() -> {});                              // a large frame waits in line
            byte[] small = "small".getBytes();
            d.run(new Source().add(FrameFormat.DEFAULT.encode(small)).end());
            assertEquals(1, d.frames.size(), "the small frame did not wait behind the large one");
            waiter.close();
        }
    }

    @Test
    void stopsAtAFrameBoundaryWhenShuttingDown() throws Exception {
        byte[] one = FrameFormat.DEFAULT.encode(new byte[10]);
        try (var d = new FlowDriver(FrameFormat.DEFAULT, PLENTY, MAX_PENDING)) {
            var source = new Source().add(one).add(java.util.Arrays.copyOf(one, 5));   // the second frame: 5 bytes of 14
            assertEquals(Step.READ, d.run(source));
            d.draining = true;
            assertEquals(Step.READ, d.run(source), "mid-frame: it finishes the frame first");
            source.add(java.util.Arrays.copyOfRange(one, 5, one.length));
            assertEquals(Step.END, d.run(source));
            assertEquals(CloseReason.SHUTDOWN, d.flow.endReason());
            assertEquals(2, d.frames.size());
            assertEquals(2 * one.length, d.written.size(), "the replies owed were written before it stopped");
        }
    }

    @Test
    void stopsTakingFramesWhileTooManyRepliesAreOwed() throws Exception {
        byte[] frame = FrameFormat.DEFAULT.encode(new byte[1000]);
        byte[] wire = TestWire.concat(List.of(frame, frame, frame, frame, frame));
        try (var d = new FlowDriver(FrameFormat.DEFAULT, PLENTY, 2500)) {
            d.peerReads = false;
            assertEquals(Step.WRITE, d.run(new Source().add(wire)));
            assertEquals(3, d.frames.size(), "frames are taken until 2,500 reply bytes are owed, then it must write");
        }
    }

    @Test
    void reportsAFrameCutShortByTheEndOfTheStream() throws Exception {
        try (var d = new FlowDriver(FrameFormat.DEFAULT, PLENTY, MAX_PENDING)) {
            var e = assertThrows(TruncatedFrameException.class,
                    () -> d.run(new Source().add(new byte[] {0, 0, 0, 9, 1, 2, 3}).end()));
            assertEquals("end of stream in body after 3 of 9 bytes", e.getMessage());
        }
    }

    @Test
    void reportsALengthAboveTheMaximumAfterEchoingTheFramesBeforeIt() throws Exception {
        FrameFormat format = FrameFormat.DEFAULT.withMaxFrame(100);
        byte[] wire = TestWire.concat(List.of(format.encode("ok".getBytes()), new byte[] {0, 0, 0, 101}));
        try (var d = new FlowDriver(format, PLENTY, MAX_PENDING)) {
            assertThrows(FrameTooLargeException.class, () -> d.run(new Source().add(wire)));
            assertEquals(1, d.frames.size());
            assertFalse(d.out.isEmpty(), "its reply is queued: the connection writes it before closing");
        }
    }

    @Test
    void turnsAnyByteStreamIntoFramesOrAFrameExceptionAndNothingElse() throws Exception {
        long seed = TestSeeds.seed("turnsAnyByteStreamIntoFramesOrAFrameExceptionAndNothingElse");
        var random = new Random(seed);
        for (int round = 0; round < 2000; round++) {
            FrameFormat format = TestWire.randomFormat(random).withMaxFrame(1 + random.nextInt(200_000));
            byte[] wire = TestWire.randomBytes(random, random.nextInt(20_000));
            try (var d = new FlowDriver(format, PLENTY, MAX_PENDING)) {
                try {
                    d.run(new Source().add(wire, TestWire.randomCuts(random, Math.max(1, wire.length), 10)).end());
                } catch (FrameException expected) {
                    // refused: what a peer sending garbage gets
                }
                d.close();
                assertEquals(0, d.pool.chunksInUse(), "seed=" + seed + " round=" + round);
            }
        }
    }
}
