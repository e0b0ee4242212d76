package loomframe;

/**
 * Seeds for the randomized tests: fresh each run, printed so that a failure can be replayed, and
 * settable from outside — {@code ./mvnw verify -Dloomframe.seed=123} runs every randomized test with
 * seed 123.
 */
public final class TestSeeds {
    private TestSeeds() {}

    /** The seed for {@code test}: {@code -Dloomframe.seed} if set, else a new one; printed either way. */
    public static long seed(String test) {
        Long fixed = Long.getLong("loomframe.seed");
        long seed = fixed != null ? fixed : System.nanoTime();
        System.out.println(test + ": seed=" + seed + " (replay with -Dloomframe.seed=" + seed + ")");
        return seed;
    }
}
