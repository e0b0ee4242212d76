package loomframe.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import loomframe.TestSeeds;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The whole hostile mix at once ({@link HostileMix}: 1,000 connections announcing 16 MiB and sending
 * 4 KiB, 20 honest senders of real 16 MiB frames, 100 pipeliners that never read, 100 tricklers at a
 * byte a second, a good client on 4 connections; every closed attacker reopened) against
 * {@code loomframe serve} in a child JVM with a 64 MiB heap, and SIGTERM in the middle of it. On
 * every implementation:
 * <ol>
 *   <li>no {@link OutOfMemoryError} or {@link StackOverflowError}, ever;</li>
 *   <li>no honest sender closed by the server, and each completes frames, every echo intact;</li>
 *   <li>tricklers closed between their deadline and 4 s after it; nobody closed before its deadline;</li>
 *   <li>the good client sees no error, and a p99 under 10 ms;</li>
 *   <li>SIGTERM mid-attack: exit 0 within {@code --shutdown-timeout} + 2 s, with the final stats line,
 *       and every good frame sent before the signal answered.</li>
 * </ol>
 */
@Timeout(240)
class SmallHeapUnderAttackTest {
    private static final Duration IDLE = Duration.ofSeconds(5);
    private static final Duration SHUTDOWN = Duration.ofSeconds(3);
    private static final long ATTACK_SECONDS = 15;

    @ParameterizedTest
    @EnumSource(Impl.class)
    void survivesTheWholeMixAt64MiBAndStopsCleanlyInTheMiddleOfIt(Impl impl) throws Exception {
        long seed = TestSeeds.seed("survivesTheWholeMixAt64MiB " + impl);
        try (ChildProcess child = ChildProcess.serve(List.of("-Xmx64m"), "--impl", impl.cliName(),
                "--idle-timeout", IDLE.toSeconds() + "s", "--shutdown-timeout", SHUTDOWN.toSeconds() + "s")) {
            HostileMix.Report report;
            long stopMillis;
            int status;
            try (var mix = new HostileMix("127.0.0.1", child.port, IDLE, seed, HostileMix.Size.FULL).start()) {
                Thread.sleep(TimeUnit.SECONDS.toMillis(ATTACK_SECONDS));
                long signal = System.nanoTime();
                mix.shutdownSignalled();
                status = child.terminate();                        // SIGTERM while every attacker is still at it
                stopMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - signal);
                report = mix.report();
            }
            String context = "seed=" + seed + " impl=" + impl.cliName() + "\n" + report.summary() + child.diagnostics();
            System.out.println(impl.cliName() + ": " + report.summary().replace("\n", "\n  ")
                    + String.format("%n  stopped %.2f s after SIGTERM, exit %d", stopMillis / 1000.0, status));

            List<String> output = new java.util.ArrayList<>(child.stdout);
            output.addAll(child.stderr);
            assertTrue(output.stream().noneMatch(l -> l.contains("OutOfMemoryError") || l.contains("StackOverflowError")),
                    "an OutOfMemoryError or StackOverflowError: " + context);

            assertEquals(List.of(), report.problems(), "honest senders closed, attackers closed early, good-client errors: " + context);
            for (int i = 0; i < report.honestFrames().length; i++) {
                assertTrue(report.honestFrames()[i] > 0, "honest sender " + i + " completed no frame: " + context);
            }
            for (double after : report.tricklerClosedAfterSeconds()) {
                assertTrue(after >= IDLE.toSeconds() - 0.25 && after <= IDLE.toSeconds() + 4,
                        "a trickler closed " + after + " s after connecting, deadline " + IDLE.toSeconds() + " s: " + context);
            }
            assertTrue(report.tricklerClosedAfterSeconds().size() >= HostileMix.Size.FULL.tricklers(), "tricklers were closed: " + context);
            assertEquals(0, report.goodErrors(), context);
            assertTrue(report.goodFrames() > 1000, "the good client was served: " + context);
            assertTrue(report.goodP99Millis() < 10, "good-client p99 " + report.goodP99Millis() + " ms: " + context);

            assertEquals(0, status, "exit status after SIGTERM: " + context);
            assertTrue(stopMillis <= SHUTDOWN.toMillis() + 2000, "stopped " + stopMillis + " ms after SIGTERM: " + context);
            assertTrue(child.stdout.stream().anyMatch(l -> l.startsWith("final stats: ")), "the final stats line: " + context);
        }
    }
}
