import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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
 */
public class VirtualThreadPitfalls {
    public static void main(String[] args) throws Exception {
        System.out.println("java " + Runtime.version() + ", carriers: "
                + System.getProperty("jdk.virtualThreadScheduler.parallelism", "availableProcessors"));
        warmUp();
        System.out.printf("sleep inside synchronized, 4 threads x 200 ms: %4d ms%n", elapsed(VirtualThreadPitfalls::sleepInSynchronized));
        System.out.printf("sleep inside ReentrantLock, 4 threads x 200 ms: %4d ms%n", elapsed(VirtualThreadPitfalls::sleepInReentrantLock));
        cpuBound();
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

    static void cpuBound() throws InterruptedException {
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
        System.out.printf("a 1-line task queued behind a 300 ms CPU-bound task started after: %4d ms%n", startedAfter[0] / 1_000_000);
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
