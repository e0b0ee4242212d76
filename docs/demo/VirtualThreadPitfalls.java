import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Three virtual-thread pitfalls from docs/COMPARISON.md, measured on whatever JDK runs this file.
 * Virtual threads share ONE carrier here (-Djdk.virtualThreadScheduler.parallelism=1), so any
 * carrier held by one thread shows up as time lost by the others.
 *
 *   java -Djdk.virtualThreadScheduler.parallelism=1 docs/demo/VirtualThreadPitfalls.java
 *
 * 1. Blocking inside synchronized: 4 virtual threads each sleep 200 ms while holding their own
 *    monitor. If the carrier is pinned (JDK 21-23) they run one after another (~800 ms); if not
 *    (JDK 24+, JEP 491) they overlap (~200 ms). The same with a ReentrantLock overlaps on every JDK.
 * 2. CPU-bound work: one virtual thread computes for ~300 ms; another, started just after, wants
 *    to run for a moment. Virtual threads are not time-sliced: the second waits for the first.
 * 3. Thread.sleep leaves the park permit set: a virtual thread that sleeps, then parks for 100 ms
 *    (as a blocking read that finds no bytes does), wakes at once; after parkNanos it waits.
 *
 * With --json the figures come out as one JSON line (jmh/bench --main loomframe.bench.Pitfalls
 * runs this file four times and commits the figures to jmh/results/pitfalls.json).
 */
public class VirtualThreadPitfalls {
    public static void main(String[] args) throws Exception {
        boolean json = args.length > 0 && args[0].equals("--json");
        if (!json) {
            System.out.println("java " + Runtime.version() + ", carriers: "
                    + System.getProperty("jdk.virtualThreadScheduler.parallelism", "availableProcessors"));
        }
        warmUp();
        long pinned = elapsed(VirtualThreadPitfalls::sleepInSynchronized);
        long unpinned = elapsed(VirtualThreadPitfalls::sleepInReentrantLock);
        long queued = cpuBound();
        long afterSleep = parkAfter(() -> sleep(1));
        long afterPark = parkAfter(() -> LockSupport.parkNanos(1_000_000));
        if (json) {
            System.out.printf("{\"synchronized_ms\": %d, \"reentrant_lock_ms\": %d, \"queued_behind_cpu_ms\": %d,"
                    + " \"park_after_sleep_ms\": %d, \"park_after_parknanos_ms\": %d}%n", pinned, unpinned, queued, afterSleep, afterPark);
            return;
        }
        System.out.printf("sleep inside synchronized, 4 threads x 200 ms: %4d ms%n", pinned);
        System.out.printf("sleep inside ReentrantLock, 4 threads x 200 ms: %4d ms%n", unpinned);
        System.out.printf("a 1-line task queued behind a 300 ms CPU-bound task started after: %4d ms%n", queued);
        System.out.printf("a 100 ms park right after Thread.sleep(1) returned after: %4d ms%n", afterSleep);
        System.out.printf("a 100 ms park right after LockSupport.parkNanos(1 ms) returned after: %4d ms%n", afterPark);
    }

    /** On a virtual thread: run the wait, then park for 100 ms; returns how long that park lasted. */
    static long parkAfter(Runnable wait) throws InterruptedException {
        long[] parked = new long[1];
        Thread t = Thread.ofVirtual().start(() -> {
            wait.run();
            long start = System.nanoTime();
            LockSupport.parkNanos(100_000_000L);             // what a read that finds no bytes does
            parked[0] = (System.nanoTime() - start) / 1_000_000;
        });
        t.join();
        return parked[0];
    }

    static void sleepInSynchronized() {
        Object monitor = new Object();                      // one monitor per thread: no contention, only pinning
        synchronized (monitor) {
            sleep(200);
        }
    }

    static void sleepInReentrantLock() {
        ReentrantLock lock = new ReentrantLock();
        lock.lock();
        try {
            sleep(200);
        } finally {
            lock.unlock();
        }
    }

    /** Runs the task on 4 virtual threads at once; returns the wall time until all finished. */
    static long elapsed(Runnable task) throws InterruptedException {
        long start = System.nanoTime();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < 4; i++) threads.add(Thread.ofVirtual().start(task));
        for (Thread t : threads) t.join();
        return Duration.ofNanos(System.nanoTime() - start).toMillis();
    }

    static long cpuBound() throws InterruptedException {
        long start = System.nanoTime();
        Thread spinner = Thread.ofVirtual().start(() -> {
            long until = System.nanoTime() + 300_000_000L;
            long x = 0;
            while (System.nanoTime() < until) x += x * 31 + 7;   // no blocking call: never yields
            if (x == 42) System.out.println();
        });
        Thread.sleep(10);                                       // (main is a platform thread)
        long[] startedAfter = new long[1];
        Thread quick = Thread.ofVirtual().start(() -> startedAfter[0] = System.nanoTime() - start);
        quick.join();
        spinner.join();
        return startedAfter[0] / 1_000_000;
    }

    static void warmUp() throws InterruptedException {
        for (int i = 0; i < 3; i++) elapsed(() -> sleep(1));
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
