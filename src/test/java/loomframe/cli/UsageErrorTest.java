package loomframe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Usage errors: exit 2, one line on stderr naming what is wrong, nothing on stdout, no stack trace. */
@Timeout(30)
class UsageErrorTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
            "send --message hi --length-bytes 3          | --length-bytes must be 1, 2, 4 or 8, got 3",
            "send --size 12XB                            | '12XB' is not a size",
            "load --connections 1 --size 1 --duration 5  | '5' is not a duration",
            "serve --idle-timeout soon                   | '--idle-timeout'",
            "send --message hi --frobnicate              | Unknown option: '--frobnicate'",
            "send                                        | Missing required argument",
            "load --size 64                              | Missing required option: '--connections=C'",
            "send --message hi --size 3                  | mutually exclusive",
            "serve --impl fibers                         | expected blocking, async or platform, got 'fibers'",
            "serve --handler reverse                     | Invalid value for option '--handler': expected echo, discard, delay:D or forward:HOST:PORT, got 'reverse'",
            "serve --handler delay:soon                  | Invalid value for option '--handler': delay:D needs a duration such as 1ms or 10ms, got 'delay:soon'",
            "serve --impl blocking --handler-threads 4   | --handler-threads is for --impl async",
            "serve --impl platform --io-threads 2        | --io-threads is for --impl blocking or async",
            "serve --io-threads -1                       | --io-threads must not be negative, got -1",
            "serve --max-buffered 2GiB                   | of direct memory this JVM may use (-XX:MaxDirectMemorySize, by default -Xmx)",
            "serve --byte-order middle                   | expected big or little, got 'middle'",
            "serve --max-frame 3GiB                      | --max-frame must be 0..2147483639, got 3221225472",
            "serve --port 70000                          | --port must be 0..65535, got 70000",
            "serve --max-connections 0                   | --max-connections must be at least 1, got 0",
            "send --message hi --count 0                 | --count must be at least 1, got 0",
            "send --message hello --max-frame 4          | payload of 5 bytes exceeds the largest frame 4",
            "send --file /no/such/file                   | --file /no/such/file: no such file",
            "load --connections 0 --size 1               | --connections must be at least 1, got 0",
            "load --connections 1 --size 1 --rate 0      | --rate must be a positive number",
            "load --connections 1 --size 300 --length-bytes 1 | --size 300 does not fit the frame format",
            "serve --metrics localhost                   | expected PORT or HOST:PORT (e.g. 9100, 0.0.0.0:9100, [::1]:9100), got 'localhost'",
            "serve --metrics 127.0.0.1:70000             | port must be 0..65535, got 70000 in '127.0.0.1:70000'",
            "serve --metrics :9100                       | got ':9100'",
            "serve --log-format xml                      | expected text or json, got 'xml'",
            "serve --drain-delay soon                    | '--drain-delay'",
    })
    void usageErrorIsOneLineAndExitCode2(String commandLine, String expected) {
        assertUsageError(CliRun.of(commandLine.trim().split("\\s+")), expected);
    }

    @Test
    void noCommandIsAUsageError() {
        assertUsageError(CliRun.of(), "missing command: serve, send or load");
    }

    private static void assertUsageError(CliRun run, String expected) {
        assertEquals(2, run.code(), run.toString());
        assertEquals("", run.out(), run.toString());
        String err = run.err();
        assertTrue(err.startsWith("loomframe: "), run.toString());
        assertEquals(1, err.lines().count(), "one line: " + run);
        assertTrue(err.contains(expected), "expected '" + expected + "' in: " + err);
    }

    @Test
    void versionPrintsTheProjectVersion() {
        CliRun run = CliRun.of("--version");
        assertEquals(0, run.code(), run.toString());
        assertTrue(run.out().startsWith("loomframe "), run.out());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "serve", "send", "load"})
    void everyCommandHasHelp(String command) {
        CliRun run = command.isEmpty() ? CliRun.of("--help") : CliRun.of(command, "--help");
        assertEquals(0, run.code(), run.toString());
        assertTrue(run.out().startsWith("Usage: loomframe"), run.out());
        assertTrue(run.out().contains(command.isEmpty() ? "serve" : "--port"), run.out());
    }
}
