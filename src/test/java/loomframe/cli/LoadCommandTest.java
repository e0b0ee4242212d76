package loomframe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import loomframe.Loomframe;
import loomframe.client.StandInServer;
import loomframe.frame.FrameFormat;
import loomframe.server.Impl;
import loomframe.server.Server;
import loomframe.server.ServerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class LoadCommandTest {

    @Test
    void printsThroughputPercentilesErrorsAndModel() throws Exception {
        try (Server server = Loomframe.start(ServerConfig.builder().impl(Impl.ASYNC).port(0).build())) {
            CliRun run = CliRun.of("load", "--port", "" + server.port(), "--connections", "2", "--size", "128",
                    "--pipeline", "4", "--duration", "1s", "--warmup", "200ms");
            assertEquals(0, run.code(), run.toString());
            for (String part : new String[] {"frames/s", "MiB/s", "p50", "p90", "p99", "p99.9", "max", "closed loop", "errors      0", "client cost"}) {
                assertTrue(run.out().contains(part), part + " missing in\n" + run.out());
            }
            assertTrue(run.err().contains("frames/s"), "progress on stderr:\n" + run.err());
            assertTrue(run.err().lines().noneMatch(l -> l.contains("\r")), "no carriage returns when not a terminal");
        }
    }

    @Test
    void jsonHoldsTheFields() throws Exception {
        try (Server server = Loomframe.start(ServerConfig.builder().port(0).build())) {
            CliRun run = CliRun.of("load", "--port", "" + server.port(), "--connections", "2", "--size", "64",
                    "--duration", "1s", "--warmup", "0", "--rate", "400", "--json");
            assertEquals(0, run.code(), run.toString());
            String json = run.out().strip();
            assertTrue(json.startsWith("{") && json.endsWith("}") && json.lines().count() == 1, json);
            assertEquals("\"open-loop\"", field(json, "latency_model"));
            assertEquals(2, (int) number(json, "connections"));
            assertEquals(64, (int) number(json, "size"));
            assertEquals(400.0, number(json, "rate"));
            assertTrue(number(json, "frames") > 0, json);
            assertTrue(number(json, "frames_per_s") > 0, json);
            assertTrue(number(json, "mib_per_s") > 0, json);
            for (String p : new String[] {"p50", "p90", "p99", "p99_9", "max"}) {
                assertTrue(number(json, p) > 0, p + " in " + json);
            }
            assertEquals(0, (int) number(json, "errors"));
            assertEquals(0, (int) number(json, "lost"));
            assertEquals(0, (int) number(json, "corrupted"));
        }
    }

    @Test
    void corruptedEchoExits1() throws Exception {
        try (var server = StandInServer.flippingEcho(FrameFormat.DEFAULT)) {
            CliRun run = CliRun.of("load", "--port", "" + server.port(), "--connections", "1", "--size", "32",
                    "--duration", "500ms", "--warmup", "0");
            assertEquals(1, run.code(), run.toString());
            assertTrue(run.out().contains("corrupted 1"), run.out());
            assertTrue(run.err().lines().anyMatch(l -> l.startsWith("loomframe: load failed")), run.err());
        }
    }

    @Test
    void refusedConnectionExits1() throws Exception {
        int port;
        try (var s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        CliRun run = CliRun.of("load", "--port", "" + port, "--connections", "1", "--size", "32", "--duration", "1s");
        assertEquals(1, run.code(), run.toString());
        assertTrue(run.err().startsWith("loomframe: cannot connect to 127.0.0.1:" + port), run.err());
    }

    /** The raw text of a field's value: a number, a quoted string, null. Enough for flat keys, no JSON library. */
    static String field(String json, String name) {
        Matcher m = Pattern.compile("\"" + name + "\":(\"[^\"]*\"|[^,}]+)").matcher(json);
        assertTrue(m.find(), name + " missing in " + json);
        return m.group(1);
    }

    static double number(String json, String name) {
        return Double.parseDouble(field(json, name));
    }
}
