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
        assertEquals(1, largeWake.runs.get(), "then the younger one, once");
        long got = large.acquire(8 * C, C);
        assertTrue(got >= C && budget.used() <= budget.bound(), "granted " + got + ", used " + budget.used());
        for (var a : List.of(share, stalled, small, large)) a.close();
        assertEquals(0, budget.used());
        assertEquals(0, budget.waitingCount());
    }

    /**
     * The wedge CI found under the hostile mix: a frame loses the overdraft, the next frame takes
     * it and fills the ceiling, then the first one asks again and, holding the older ticket, heads
     * the line. Bytes coming back must go to the frame in overdraft (which can finish), not stop
     * at the head of the line (which cannot); and the frame that lost the overdraft waits with its
     * deadline running, since only its own bytes may be what the other needs.
     */
    @Test
    void theFrameInOverdraftIsServedFirstEvenBehindAFrameThatLostIt() {
        var budget = new BufferBudget(4 * C, 8 * C, 0);
        var share = budget.open();
        var first = budget.open();
        var second = budget.open();
        assertEquals(4 * C, share.acquire(4 * C, C), "the share is spent");
        assertEquals(0, first.acquire(2 * C, C));
        var firstWake = new Wake();
        first.await(firstWake);
        assertTrue(firstWake.ran(), "the oldest waiter goes into overdraft");
        assertEquals(2 * C, first.acquire(2 * C, C));
        assertEquals(0, second.acquire(2 * C, C));
        var secondWake = new Wake();
        second.await(secondWake);
        assertFalse(secondWake.ran());
        assertFalse(first.overdraftLost());

        budget.sweep(System.nanoTime() + BufferBudget.STALL_NANOS + 1);   // the first frame stalls: it loses the overdraft
        assertTrue(first.overdraftLost(), "its waits no longer stop its deadline");
        assertEquals(1, secondWake.runs.get(), "the second frame takes the overdraft");
        assertEquals(2 * C, second.acquire(2 * C, C));
        assertEquals(4 * C, second.acquire(4 * C, C), "and grows to the ceiling");
        assertEquals(12 * C, budget.used());
        assertEquals(0, second.acquire(2 * C, C), "its last two chunks do not fit");
        var secondWake2 = new Wake();
        second.await(secondWake2);
        assertEquals(0, first.acquire(2 * C, C), "the first frame resumes, and cannot have more");
        var firstWake2 = new Wake();
        first.await(firstWake2);                                   // heads the line: its ticket is older

        share.release(4 * C);
        assertEquals(1, secondWake2.runs.get(), "bytes that came back went to the frame in overdraft");
        assertFalse(firstWake2.ran(), "not to the head of the line, which cannot overdraw the share");
        assertEquals(2 * C, second.acquire(2 * C, C));
        second.frameDone();                                        // it finishes ...
        second.release(8 * C);                                     // ... and its reply is written
        assertEquals(1, firstWake2.runs.get(), "then the first frame goes on, in overdraft again");
        assertFalse(first.overdraftLost(), "and its waits stop its deadline again");
        assertEquals(2 * C, first.acquire(2 * C, C));
        for (var a : List.of(share, first, second)) a.close();
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
        assertFalse(holder.overdraftLost(), "an untaken grant is not a stall");
        assertFalse(nextWake.ran());
        assertEquals(8 * C, holder.acquire(8 * C, C), "the whole grant is still there");
        for (var a : List.of(share, holder, next)) a.close();
        assertEquals(0, budget.used());
    }

    /**
     * The line always moves, whatever stalls and resumes: a seeded simulation of connections whose
     * frames arrive a few chunks at a time, stall mid-frame and resume, and are answered, with the
     * idle deadline run the way the server runs it (stopped while a frame waits for the budget,
     * unless the frame lost the overdraft) and the sweeper handing the overdraft on. Time is played
     * forward in steps of 100 ms. Checked: the bound is never passed; only a frame that stalled is
     * ever closed at its deadline; and once the stalls stop, every connection completes frames
     * again. Before the frame in overdraft was served first, seeds wedged for good here: every frame
     * waiting, none granted, no deadline running.
     */
    @Test
    void theLineAlwaysMovesWhateverStallsAndResumes() {
        long seed = TestSeeds.seed("theLineAlwaysMovesWhateverStallsAndResumes");
        for (int run = 0; run < 300; run++) new LineSimulation(seed + run).run();
    }

    /** One run of {@link #theLineAlwaysMovesWhateverStallsAndResumes}: 6 connections, a share of 8 chunks, frames of 1 to 8. */
    private static final class LineSimulation {
        static final long TICK = 100_000_000L;                     // 100 ms
        static final int IDLE = 50;                                // the idle timeout, in ticks
        static final int STALLS_UNTIL = 600, CALM_UNTIL = 1200;
        final long seed;
        final Random random;
        long now;
        final BufferBudget budget = new BufferBudget(8 * C, 8 * C, 0, () -> now);
        final List<Conn> conns = new ArrayList<>();

        final class Conn {
            BufferBudget.Account memory;
            int frame, arrived;                                    // chunks
            int replyTicks;                                        // > 0: the reply is being written
            Wake wake;                                             // non-null while waiting for a grant
            boolean waitStopsDeadline;
            long deadline, pausedFor;
            long stalledUntil;
            boolean stalledThisFrame;
            int framesAfterCalm;

            void open(long tick) {
                memory = budget.open();
                newFrame(tick);
            }

            void newFrame(long tick) {
                frame = 1 + random.nextInt(8);
                arrived = 0;
                replyTicks = 0;
                deadline = tick + IDLE;
                stalledThisFrame = false;
            }

            void step(long tick) {
                if (replyTicks > 0) {
                    if (--replyTicks == 0) {
                        memory.release((long) arrived * C);
                        newFrame(tick);
                    }
                    return;
                }
                if (wake != null) {
                    if (!wake.ran()) return;
                    wake = null;
                    if (waitStopsDeadline) deadline = tick + pausedFor;
                }
                if (tick < stalledUntil) return;
                if (tick < STALLS_UNTIL && arrived > 0 && random.nextInt(40) == 0) {
                    stalledUntil = tick + 5 + random.nextInt(60);  // the peer stops mid-frame, perhaps past its deadline
                    stalledThisFrame = true;
                    return;
                }
                int want = Math.min(frame - arrived, 1 + random.nextInt(3));
                long got = memory.acquire((long) want * C, C);
                if (got == 0) {
                    wake = new Wake();
                    waitStopsDeadline = !memory.overdraftLost();
                    pausedFor = deadline - tick;
                    memory.await(wake);
                    return;
                }
                arrived += (int) (got / C);
                memory.progress();
                if (arrived == frame) {
                    memory.frameDone();
                    if (tick >= CALM_UNTIL - 400) framesAfterCalm++;
                    replyTicks = 1 + random.nextInt(3);
                }
            }

            boolean deadlineRuns() {
                return replyTicks == 0 && (wake == null || !waitStopsDeadline);
            }

            void expire(long tick) {
                assertTrue(stalledThisFrame, "a frame that never stalled was closed at its deadline (tick " + tick + "): seed " + seed);
                if (wake != null) memory.cancelWait();
                memory.close();
                wake = null;
                stalledUntil = 0;
                open(tick);
            }
        }

        LineSimulation(long seed) {
            this.seed = seed;
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
                for (Conn c : conns) if (c.deadlineRuns() && tick > c.deadline) c.expire(tick);
                budget.sweep(now);
                assertTrue(budget.used() <= budget.bound(), "used " + budget.used() + " past the bound: seed " + seed);
            }
            for (int i = 0; i < conns.size(); i++) {
                assertTrue(conns.get(i).framesAfterCalm > 0,
                        "connection " + i + " completed no frame in the last 400 ticks, with every peer sending: the line wedged; seed " + seed);
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
