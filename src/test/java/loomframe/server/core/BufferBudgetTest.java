package loomframe.server.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import loomframe.TestSeeds;
import org.junit.jupiter.api.Test;

/** The buffer budget alone: grants are reservations, the line is oldest first, overdraft passes on, and nothing leaks. */
class BufferBudgetTest {
    private static final int C = ChunkPool.CHUNK_SIZE;

    /** Records each grant callback and the stack depth it ran at. */
    static final class Wake implements Runnable {
        final AtomicInteger runs = new AtomicInteger();
        volatile int depth;

        @Override
        public void run() {
            runs.incrementAndGet();
            depth = Thread.currentThread().getStackTrace().length;
        }

        boolean ran() {
            return runs.get() > 0;
        }
    }

    @Test
    void aGrantIsAReservationNobodyElseCanTake() {
        var budget = new BufferBudget(4 * C, 0, 0);
        var holder = budget.open();
        var waiter = budget.open();
        var other = budget.open();
        assertEquals(4 * C, holder.acquire(4 * C, C));
        assertEquals(0, waiter.acquire(2 * C, C));
        var wake = new Wake();
        waiter.await(wake);
        holder.release(2 * C);
        assertTrue(wake.ran(), "granted when bytes came back");
        assertEquals(4 * C, budget.used(), "the grant is counted at once: it is reserved");
        assertEquals(0, other.acquire(C, C), "a newcomer cannot take the reserved bytes");
        assertEquals(2 * C, waiter.acquire(2 * C, C), "the waiter finds its reservation when it asks again");
        holder.close();
        waiter.close();
        other.close();
        assertEquals(0, budget.used());
    }

    /**
     * The sequence that looped before grants were reservations: a frame in overdraft that never
     * finishes, an older small waiter and a younger large one. It ends, each waiter granted once.
     */
    @Test
    void theGrantThenRefuseSequenceTerminates() {
        var budget = new BufferBudget(4 * C, 8 * C, 0);
        var share = budget.open();
        var stalled = budget.open();
        var small = budget.open();
        var large = budget.open();
        assertEquals(4 * C, share.acquire(4 * C, C), "the share is spent");
        assertEquals(0, stalled.acquire(2 * C, C));
        var stalledWake = new Wake();
        stalled.await(stalledWake);
        assertTrue(stalledWake.ran(), "the oldest waiter goes into overdraft");
        assertEquals(2 * C, stalled.acquire(2 * C, C));           // ... and stops sending
        assertEquals(0, small.acquire(C, C));
        var smallWake = new Wake();
        small.await(smallWake);
        assertEquals(0, large.acquire(8 * C, C));
        var largeWake = new Wake();
        large.await(largeWake);
        assertFalse(smallWake.ran() || largeWake.ran(), "both wait while the overdraft is held");

        budget.sweep(System.nanoTime() + BufferBudget.STALL_NANOS + 1);   // the stalled frame loses the overdraft
        assertEquals(1, smallWake.runs.get(), "the older waiter is next");
        assertEquals(C, small.acquire(C, C));
        small.frameDone();                                         // its frame completes
        assertFalse(largeWake.ran(), "the 8 chunks of the younger one do not fit in the 5 left: it waits for bytes to come back");
        small.release(C);                                          // the small reply is written
        share.release(4 * C);
        assertEquals(1, largeWake.runs.get(), "then the younger one, once");
        long got = large.acquire(8 * C, C);
        assertTrue(got >= C && budget.used() <= budget.bound(), "granted " + got + ", used " + budget.used());
        for (var a : List.of(share, stalled, small, large)) a.close();
        assertEquals(0, budget.used());
        assertEquals(0, budget.waitingCount());
    }

    /**
     * The sequence CI wedged on under the hostile mix: the frame in overdraft stalls and loses it,
     * the next frame takes it, and the first one resumes at the head of the line. The frame in
     * overdraft gets the rest of its frame at once, whatever the frame at the head does; when it
     * is done, the frame that lost the overdraft gets it back.
     */
    @Test
    void theFrameInOverdraftFinishesWhateverTheFrameThatLostItDoes() {
        var budget = new BufferBudget(4 * C, 8 * C, 0);
        var share = budget.open();
        var first = budget.open();
        var second = budget.open();
        assertEquals(4 * C, share.acquire(4 * C, C), "the share is spent");
        assertEquals(0, first.acquire(2 * C, C, 8 * C));
        var firstWake = new Wake();
        first.await(firstWake);
        assertTrue(firstWake.ran(), "the oldest waiter goes into overdraft: its 8 chunks fit under the ceiling");
        assertEquals(2 * C, first.acquire(2 * C, C));
        assertEquals(0, second.acquire(2 * C, C, 6 * C));
        var secondWake = new Wake();
        second.await(secondWake);
        assertFalse(secondWake.ran());

        budget.sweep(System.nanoTime() + BufferBudget.STALL_NANOS + 1);   // the first frame stalls
        assertEquals(1, secondWake.runs.get(), "the overdraft passes to the second frame: its 6 chunks fit in the 6 left");
        assertEquals(2 * C, second.acquire(2 * C, C));
        assertEquals(0, first.acquire(C, C, 6 * C), "the first frame resumes, and cannot overdraw the share any more");
        var firstWake2 = new Wake();
        first.await(firstWake2);                                   // heads the line: its ticket is older
        assertEquals(2 * C, second.acquire(2 * C, C), "the frame in overdraft never waits for the rest of its frame");
        assertEquals(2 * C, second.acquire(2 * C, C));
        assertEquals(12 * C, budget.used());
        second.frameDone();                                        // it finishes ...
        assertFalse(firstWake2.ran(), "its bytes are still counted until its reply is written");
        second.release(6 * C);                                     // ... and the reply is written
        assertEquals(1, firstWake2.runs.get(), "then the first frame gets the overdraft back");
        assertEquals(C, first.acquire(C, C));
        for (var a : List.of(share, first, second)) a.close();
        assertEquals(0, budget.used());
        assertEquals(0, budget.waitingCount());
    }

    /**
     * A frame goes into overdraft only if the rest of it fits under the ceiling: a frame that lost
     * the overdraft may hold bytes past the share, and a frame given the overdraft without room to
     * finish would wait for them while they wait for it. Nobody who could finish: the stalled frame
     * keeps it; once one can, it passes.
     */
    @Test
    void theOverdraftPassesOnlyToAFrameThatCanFinishInWhatIsLeft() {
        var budget = new BufferBudget(4 * C, 8 * C, 0);
        var share = budget.open();
        var stalled = budget.open();
        var large = budget.open();
        var small = budget.open();
        assertEquals(4 * C, share.acquire(4 * C, C));
        assertEquals(0, stalled.acquire(4 * C, C, 8 * C));
        stalled.await(new Wake());
        assertEquals(4 * C, stalled.acquire(4 * C, C));            // half its frame, then it stops
        assertEquals(0, large.acquire(4 * C, C, 8 * C));
        var largeWake = new Wake();
        large.await(largeWake);
        budget.sweep(System.nanoTime() + BufferBudget.STALL_NANOS + 1);
        assertFalse(largeWake.ran(), "8 chunks do not fit in the 4 left under the ceiling: the stalled frame keeps the overdraft");
        assertEquals(2 * C, stalled.acquire(2 * C, C), "and may go on when its peer does");

        assertEquals(0, small.acquire(C, C, 2 * C));
        var smallWake = new Wake();
        small.await(smallWake);
        budget.sweep(System.nanoTime() + BufferBudget.STALL_NANOS + 1);
        assertTrue(smallWake.ran(), "a younger frame that can finish in the 2 chunks left takes it");
        assertFalse(largeWake.ran());
        assertEquals(C, small.acquire(C, C));
        for (var a : List.of(share, stalled, large, small)) a.close();
        assertEquals(0, budget.used());
        assertEquals(0, budget.waitingCount());
    }

    /**
     * When the frame in overdraft completes, its bytes stay counted until its reply is written. A
     * younger frame that fits meanwhile must not take the overdraft from the oldest one, which only
     * needs those bytes back (a stream of medium frames could otherwise pass a large one over for good).
     */
    @Test
    void theOldestFrameIsNotPassedOverWhileTheLastOnesBytesComeBack() {
        var budget = new BufferBudget(4 * C, 8 * C, 0);
        var share = budget.open();
        var last = budget.open();
        var oldest = budget.open();
        var younger = budget.open();
        assertEquals(4 * C, share.acquire(4 * C, C));
        assertEquals(0, last.acquire(8 * C, C, 8 * C));
        last.await(new Wake());
        assertEquals(8 * C, last.acquire(8 * C, C), "in overdraft, all of its frame");
        assertEquals(0, oldest.acquire(4 * C, C, 8 * C));
        var oldestWake = new Wake();
        oldest.await(oldestWake);
        assertEquals(0, younger.acquire(C, C, 2 * C));
        var youngerWake = new Wake();
        younger.await(youngerWake);

        last.frameDone();
        last.release(2 * C);                                        // its reply is being written
        assertFalse(youngerWake.ran(), "2 chunks are back and the younger frame would fit, but the oldest only waits for the rest");
        assertFalse(oldestWake.ran());
        last.release(6 * C);
        last.framesReleased();
        assertTrue(oldestWake.ran(), "all back: the oldest goes into overdraft");
        assertEquals(4 * C, oldest.acquire(4 * C, C));
        for (var a : List.of(share, last, oldest, younger)) a.close();
        assertEquals(0, budget.used());
        assertEquals(0, budget.waitingCount());
    }

    /** A grant the frame in overdraft has not taken yet is the server's delay, not a stall: the overdraft stays. */
    @Test
    void aFrameInOverdraftKeepsItWhileItsGrantWaitsForItsThread() {
        var budget = new BufferBudget(4 * C, 8 * C, 0);
        var share = budget.open();
        var holder = budget.open();
        var next = budget.open();
        assertEquals(4 * C, share.acquire(4 * C, C));
        assertEquals(0, holder.acquire(8 * C, C));
        holder.await(new Wake());                                  // into overdraft, granted, not taken yet
        assertEquals(0, next.acquire(C, C));
        var nextWake = new Wake();
        next.await(nextWake);
        budget.sweep(System.nanoTime() + BufferBudget.STALL_NANOS + 1);
        assertFalse(nextWake.ran(), "an untaken grant is not a stall");
        assertEquals(8 * C, holder.acquire(8 * C, C), "the whole grant is still there");
        for (var a : List.of(share, holder, next)) a.close();
        assertEquals(0, budget.used());
    }

    /**
     * The line always moves, whatever stalls and resumes: a seeded simulation of connections whose
     * frames arrive a few chunks at a time, stall mid-frame and resume, and are answered, with the
     * idle deadline run the way the server runs it (stopped while a frame waits for the budget)
     * and the sweeper handing the overdraft on; time is played forward in steps of 100 ms. With
     * deadlines and with none (`--idle-timeout 0`): the bound is never passed, only a frame that
     * stalled is ever closed at its deadline, and once the stalls stop, every connection completes
     * frames again. Seeds wedged for good here (every frame waiting, none granted) while the frame
     * in overdraft could be given it without room to finish, or be kept from room by the head of
     * the line.
     */
    @Test
    void theLineAlwaysMovesWhateverStallsAndResumes() {
        long seed = TestSeeds.seed("theLineAlwaysMovesWhateverStallsAndResumes");
        for (int run = 0; run < 300; run++) new LineSimulation(seed + run, 50).run();
        for (int run = 0; run < 300; run++) new LineSimulation(seed + run, Integer.MAX_VALUE / 2).run();
    }

    /** One run of {@link #theLineAlwaysMovesWhateverStallsAndResumes}: 6 connections, a share of 8 chunks, frames of 1 to 8. */
    private static final class LineSimulation {
        static final long TICK = 100_000_000L;                     // 100 ms
        static final int STALLS_UNTIL = 600, CALM_UNTIL = 1200;
        final long seed;
        final int idle;                                            // the idle timeout, in ticks
        final Random random;
        long now;
        final BufferBudget budget = new BufferBudget(8 * C, 8 * C, 0, () -> now);
        final List<Conn> conns = new ArrayList<>();

        final class Conn {
            BufferBudget.Account memory;
            int frame, arrived;                                    // chunks
            int replyTicks;                                        // > 0: the reply is being written
            Wake wake;                                             // non-null while waiting for a grant
            long deadline, pausedFor;
            long stalledUntil;
            boolean stalledThisFrame;
            int framesLately;

            void open(long tick) {
                memory = budget.open();
                newFrame(tick);
            }

            void newFrame(long tick) {
                frame = 1 + random.nextInt(8);
                arrived = 0;
                replyTicks = 0;
                deadline = tick + idle;
                stalledThisFrame = false;
            }

            void step(long tick) {
                if (replyTicks > 0) {
                    if (--replyTicks == 0) {
                        memory.release((long) arrived * C);
                        memory.framesReleased();
                        newFrame(tick);
                    }
                    return;
                }
                if (wake != null) {
                    if (!wake.ran()) return;
                    wake = null;
                    deadline = tick + pausedFor;                   // the wait did not count against the deadline
                }
                if (tick < stalledUntil) return;
                if (tick < STALLS_UNTIL && arrived > 0 && random.nextInt(40) == 0) {
                    stalledUntil = tick + 5 + random.nextInt(60);  // the peer stops mid-frame, perhaps past its deadline
                    stalledThisFrame = true;
                    return;
                }
                int want = Math.min(frame - arrived, 1 + random.nextInt(3));
                long got = memory.acquire((long) want * C, C, (long) (frame - arrived) * C);
                if (got == 0) {
                    wake = new Wake();
                    pausedFor = deadline - tick;
                    memory.await(wake);
                    return;
                }
                arrived += (int) (got / C);
                memory.progress();
                if (arrived == frame) {
                    memory.frameDone();
                    if (tick >= CALM_UNTIL - 400) framesLately++;
                    replyTicks = 1 + random.nextInt(3);
                }
            }

            void expireIfDue(long tick) {
                if (replyTicks > 0 || wake != null || tick <= deadline) return;
                assertTrue(stalledThisFrame, "a frame that never stalled was closed at its deadline (tick " + tick + "): seed " + seed);
                memory.close();
                stalledUntil = 0;
                open(tick);
            }
        }

        LineSimulation(long seed, int idle) {
            this.seed = seed;
            this.idle = idle;
            this.random = new Random(seed);
        }

        void run() {
            for (int i = 0; i < 6; i++) {
                var c = new Conn();
                c.open(0);
                conns.add(c);
            }
            for (long tick = 0; tick < CALM_UNTIL; tick++) {
                now = tick * TICK;
                List<Conn> order = new ArrayList<>(conns);
                java.util.Collections.shuffle(order, random);
                for (Conn c : order) c.step(tick);
                for (Conn c : conns) c.expireIfDue(tick);
                budget.sweep(now);
                assertTrue(budget.used() <= budget.bound(), "used " + budget.used() + " past the bound: seed " + seed);
            }
            for (int i = 0; i < conns.size(); i++) {
                assertTrue(conns.get(i).framesLately > 0, "connection " + i + " completed no frame in the last 400 ticks, with every peer"
                        + " sending (idle timeout " + (idle > 100_000 ? "off" : idle + " ticks") + "): the line wedged; seed " + seed);
            }
        }
    }

    @Test
    void thousandsOfWaitersAreGrantedAtOnceWithoutDeepeningTheStack() {
        int waiters = 5000;
        var budget = new BufferBudget((long) waiters * C, 0, 0);
        var holder = budget.open();
        assertEquals((long) waiters * C, holder.acquire((long) waiters * C, C));
        List<BufferBudget.Account> accounts = new ArrayList<>();
        List<Wake> wakes = new ArrayList<>();
        for (int i = 0; i < waiters; i++) {
            var a = budget.open();
            assertEquals(0, a.acquire(C, C));
            var w = new Wake();
            a.await(w);
            accounts.add(a);
            wakes.add(w);
        }
        assertEquals(waiters, budget.waitingCount());
        holder.release((long) waiters * C);                         // one release grants them all
        int depth = wakes.get(0).depth;
        for (Wake w : wakes) {
            assertEquals(1, w.runs.get(), "each granted exactly once");
            assertEquals(depth, w.depth, "every wake-up runs at the same stack depth: none runs inside another");
        }
        assertEquals(0, budget.waitingCount());
        for (var a : accounts) assertEquals(C, a.acquire(C, C));
        for (var a : accounts) a.close();
        holder.close();
        assertEquals(0, budget.used());
    }

    @Test
    void framesThatFitOneChunkTakeTheReserveWhileTheShareIsSpent() {
        var budget = new BufferBudget(2 * C, 0, 2 * C);
        var big = budget.open();
        var small = budget.open();
        assertEquals(2 * C, big.acquire(2 * C, C));
        assertEquals(0, small.acquire(C, C));
        assertTrue(small.acquireSmall(C));
        assertTrue(small.acquireSmall(C));
        assertFalse(small.acquireSmall(C), "the reserve is bounded too");
        assertEquals(4 * C, budget.used());
        small.close();
        big.close();
        assertEquals(0, budget.used());
    }

    @Test
    void readingAheadNeverTakesMoreThanHalfTheShare() {
        var budget = new BufferBudget(8 * C, 0, 0);
        var busy = budget.open();
        var other = budget.open();
        assertTrue(busy.acquireSpare(4 * C));
        assertFalse(busy.acquireSpare(C), "past half the share: no reading ahead");
        assertTrue(busy.mayKeepSpare());
        assertEquals(C, other.acquire(C, C), "a frame in progress may still take the rest");
        assertFalse(busy.mayKeepSpare(), "and then the busy connection lets its spare chunk go");
        busy.close();
        other.close();
    }

    /**
     * Many threads acquire, wait, are granted, cancel, close and sweep at once, at random; afterwards
     * every byte is back and the bound was never passed.
     */
    @Test
    void concurrentGrantsClosesAndSweepsLeaveNothingBehind() throws Exception {
        long seed = TestSeeds.seed("concurrentGrantsClosesAndSweepsLeaveNothingBehind");
        var budget = new BufferBudget(16 * C, 8 * C, 4 * C);
        int threads = 16;
        var done = new CountDownLatch(threads);
        var failures = new AtomicLong();
        var maxUsed = new AtomicLong();
        var stop = new java.util.concurrent.atomic.AtomicBoolean();
        Thread sweeper = Thread.ofPlatform().start(() -> {
            while (!stop.get()) {
                budget.sweep(System.nanoTime() + BufferBudget.STALL_NANOS);
                maxUsed.accumulateAndGet(budget.used(), Math::max);
                Thread.onSpinWait();
            }
        });
        for (int t = 0; t < threads; t++) {
            long threadSeed = seed + t;
            Thread.ofVirtual().start(() -> {
                var random = new Random(threadSeed);
                try {
                    for (int round = 0; round < 2000; round++) {
                        var a = budget.open();
                        long want = (1 + random.nextInt(6)) * (long) C;
                        long got = a.acquire(want, C);
                        if (got == 0) {
                            var granted = new CountDownLatch(1);
                            a.await(granted::countDown);
                            if (random.nextInt(4) == 0 && a.cancelWait()) {
                                a.close();                         // ended while waiting
                                continue;
                            }
                            if (!granted.await(10, TimeUnit.SECONDS)) {
                                failures.incrementAndGet();
                                a.close();
                                continue;
                            }
                            got = a.acquire(want, C);
                        }
                        if (random.nextBoolean() && a.acquireSmall(C)) a.releaseSmall(C);
                        if (random.nextInt(3) == 0) a.frameDone();
                        if (random.nextBoolean()) a.release(got);
                        a.close();
                    }
                } catch (Throwable e) {
                    failures.incrementAndGet();
                    e.printStackTrace();
                } finally {
                    done.countDown();
                }
            });
        }
        assertTrue(done.await(60, TimeUnit.SECONDS), "seed=" + seed + ": threads did not finish");
        stop.set(true);
        sweeper.join();
        assertEquals(0, failures.get(), "seed=" + seed + ": waits that were never granted, or errors");
        assertEquals(0, budget.used(), "seed=" + seed + ": every byte given back");
        assertEquals(0, budget.waitingCount());
        assertTrue(maxUsed.get() <= budget.bound(), "seed=" + seed + ": used " + maxUsed.get() + " > bound " + budget.bound());
    }
}
