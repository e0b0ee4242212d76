package loomframe.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import loomframe.Loomframe;
import loomframe.client.StandInServer;
import loomframe.frame.FrameFormat;
import loomframe.server.FrameHandler;
import loomframe.server.Impl;
import loomframe.server.Server;
import loomframe.server.ServerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

@Timeout(30)
class SendCommandTest {

    @ParameterizedTest
    @EnumSource(Impl.class)
    void verifiesEchoesFromEachServerAndExits0(Impl impl) throws Exception {
        try (Server server = Loomframe.start(ServerConfig.builder().impl(impl).port(0).build())) {
            CliRun run = CliRun.of("send", "--port", "" + server.port(), "--message", "hello", "--count", "3");
            assertEquals(0, run.code(), run.toString());
            assertTrue(run.out().contains("sent 3 frames of 5 bytes"), run.out());
            assertTrue(run.out().contains("all 3 echoes verified"), run.out());
        }
    }

    @Test
    void sendsRandomBytesAndFilesInAnyFormat(@TempDir Path dir) throws Exception {
        var format = FrameFormat.DEFAULT.withLengthBytes(8).withLengthIncludesHeader(true);
        Path file = Files.write(dir.resolve("payload.bin"), new byte[] {0, 1, 2, (byte) 0xFF});
        try (Server server = Loomframe.start(ServerConfig.builder().port(0).format(format).build())) {
            String port = "" + server.port();
            CliRun random = CliRun.of("send", "--port", port, "--size", "64KiB", "--length-bytes", "8", "--length-includes-header");
            assertEquals(0, random.code(), random.toString());
            CliRun fromFile = CliRun.of("send", "--port", port, "--file", file.toString(), "--length-bytes", "8", "--length-includes-header");
            assertEquals(0, fromFile.code(), fromFile.toString());
        }
    }

    @Test
    void refusedConnectionExits1() throws Exception {
        int port;
        try (var s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        CliRun run = CliRun.of("send", "--port", "" + port, "--message", "hi");
        assertEquals(1, run.code(), run.toString());
        assertTrue(run.err().startsWith("loomframe: cannot connect to 127.0.0.1:" + port), run.err());
        assertEquals(1, run.err().lines().count(), run.toString());
    }

    @Test
    void corruptedEchoExits1AndSaysWhere() throws Exception {
        try (var server = StandInServer.flippingEcho(FrameFormat.DEFAULT)) {
            CliRun run = CliRun.of("send", "--port", "" + server.port(), "--message", "hello");
            assertEquals(1, run.code(), run.toString());
            assertTrue(run.err().contains("reply 1 of 1 differs from what was sent: first difference at byte 4 of 5"), run.err());
        }
    }

    @Test
    void lostReplyExits1() throws Exception {
        try (var server = StandInServer.closesWithoutReply(FrameFormat.DEFAULT)) {
            CliRun run = CliRun.of("send", "--port", "" + server.port(), "--message", "hello", "--count", "2");
            assertEquals(1, run.code(), run.toString());
            assertTrue(run.err().contains("reply 1 of 2 lost"), run.err());
        }
    }

    @Test
    void silentServerTimesOutAndExits1() throws Exception {
        try (Server server = Loomframe.start(ServerConfig.builder().port(0).handler(FrameHandler.discard()).build())) {
            CliRun run = CliRun.of("send", "--port", "" + server.port(), "--message", "hello", "--timeout", "300ms");
            assertEquals(1, run.code(), run.toString());
            assertTrue(run.err().contains("no reply 1 of 1 within 300ms (--timeout)"), run.err());
        }
    }

    @Test
    void noReplyIsAcceptedByTheCSharpSampleServer() throws Exception {
        try (var csharp = StandInServer.csharpSample()) {
            CliRun run = CliRun.of("send", "--port", "" + csharp.port(), "--byte-order", "little", "--no-reply", "--message", "hi from java");
            assertEquals(0, run.code(), run.toString());
            assertTrue(run.out().contains("not waiting for replies"), run.out());
            byte[] got = csharp.received.poll(10, TimeUnit.SECONDS);
            assertArrayEquals("hi from java".getBytes(StandardCharsets.UTF_8), got);
        }
    }

    @Test
    void noReplyToADiscardServerExits0() throws Exception {
        try (Server server = Loomframe.start(ServerConfig.builder().port(0).handler(FrameHandler.discard()).build())) {
            CliRun run = CliRun.of("send", "--port", "" + server.port(), "--no-reply", "--size", "1KiB", "--count", "50");
            assertEquals(0, run.code(), run.toString());
            assertTrue(run.out().contains("sent 50 frames of 1024 bytes"), run.out());
        }
    }
}
