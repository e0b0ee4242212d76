package loomframe;

import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Waits for a condition that another thread (a server, a child JVM) makes true: the one polling helper of the tests. */
public final class Poll {
    private static final long TIMEOUT_NANOS = 20_000_000_000L;

    private Poll() {}

    /** Polls {@code condition} every 5 ms for up to 20 s; fails with {@code what} if it never holds. */
    public static void until(String what, BooleanSupplier condition) throws InterruptedException {
        until(() -> what, condition);
    }

    /** As {@link #until(String, BooleanSupplier)}, with a message computed when it fails (say what the state was). */
    public static void until(Supplier<String> what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT_NANOS;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) throw new AssertionError("timed out waiting for: " + what.get());
            Thread.sleep(5);
        }
    }
}
