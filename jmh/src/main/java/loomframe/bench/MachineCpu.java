package loomframe.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * CPU time from /proc (Linux only; 0 elsewhere): the whole machine's busy time from the first line
 * of {@code /proc/stat}, and one process's user + system time (every thread) from {@code /proc/PID/stat}.
 */
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

    /** Nanoseconds process {@code pid} has run, all its threads, user and system: fields 14 and 15 of /proc/PID/stat. */
    static long processNanos(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");   // the name may hold spaces
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * NANOS_PER_TICK;
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }
}
