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
