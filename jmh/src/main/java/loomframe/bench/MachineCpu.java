package loomframe.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Busy CPU time of the whole machine, from the first line of {@code /proc/stat} (Linux only; 0 elsewhere). */
final class MachineCpu {
    private static final Path STAT = Path.of("/proc/stat");
    private static final long NANOS_PER_TICK = 10_000_000L;    // USER_HZ is 100 on Linux

    private MachineCpu() {}

    /** Nanoseconds all CPUs spent not idle since boot: user, nice, system, irq, softirq, steal. */
    static long busyNanos() {
        try (var lines = Files.lines(STAT)) {
            String[] f = lines.findFirst().orElse("").trim().split("\\s+");
            if (f.length < 8 || !f[0].equals("cpu")) return 0;
            long busy = 0;
            for (int i : new int[] {1, 2, 3, 6, 7}) busy += Long.parseLong(f[i]);  // user nice system irq softirq
            if (f.length > 8) busy += Long.parseLong(f[8]);                        // steal
            return busy * NANOS_PER_TICK;
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }
}
