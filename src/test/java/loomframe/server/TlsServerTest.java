package loomframe.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.net.ssl.SSLSocket;
import loomframe.Loomframe;
import loomframe.Poll;
import loomframe.TestTls;
import loomframe.TestWire;
import loomframe.frame.FrameFormat;
import loomframe.tls.ClientTls;
import loomframe.tls.TlsFiles;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The protocol over TLS for every implementation: every framing rule holds unchanged, and each
 * way a handshake can fail is one log line, the {@code tls} close reason, and nothing else.
 */
@Timeout(120)
class TlsServerTest {
    private static final FrameFormat F = FrameFormat.DEFAULT;

    private static Server start(Impl impl, ServerTls tls) throws Exception {
        return start(impl, tls, Duration.ofSeconds(60));
    }

    private static Server start(Impl impl, ServerTls tls, Duration idle) throws Exception {
        return Loomframe.start(ServerConfig.builder().impl(impl).port(0).tls(tls).idleTimeout(idle).build());
    }

    private static TestWire client(Server server) throws IOException {
        return new TestWire(server.port(), F, TestTls.client(false));
    }

    private static void assertEchoes(TestWire wire, List<byte[]> frames, String context) throws Exception {
        for (int i = 0; i < frames.size(); i++) {
            assertArrayEquals(frames.get(i), wire.readFrame(), "reply " + i + " of " + frames.size() + ", " + context);
        }
    }

    /** A good client is served after whatever went before. */
    private static void assertStillServing(Server server) throws Exception {
        try (var good = client(server)) {
            good.write(F.encode("still here".getBytes()));
            assertArrayEquals("still here".getBytes(), good.readFrame());
        }
    }

    @ParameterizedTest
    @EnumSource(Impl.class)
    void echoesAFrameCutAtEveryPairOfPositionsOverTls13And12(Impl impl) throws Exception {
        List<byte[]> frames = List.of("0123456789".getBytes());
        byte[] wire = TestWire.encodeAll(F, frames);
        for (String protocol : ServerTls.PROTOCOLS) {
            try (Server server = start(impl, TestTls.server(false, protocol)); var client = client(server)) {
                assertEquals(protocol, ((SSLSocket) client.socket).getSession().getProtocol());
                for (int a = 1; a < wire.length; a++) {
                    for (int b = a + 1; b < wire.length; b++) {
                        client.writeCut(wire, a, b);                   // three records, cut where the test says
                        assertEchoes(client, frames, protocol + " cuts " + a + "," + b);
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Impl.class)
    void echoesPipelinedFramesHoweverTheStreamIsCutOverTls13And12(Impl impl) throws Exception {
        long seed = System.nanoTime();
        var random = new Random(seed);
        for (String protocol : ServerTls.PROTOCOLS) {
            try (Server server = start(impl, TestTls.server(false, protocol)); var client = client(server)) {
                for (int round = 0; round < 15; round++) {
                    List<byte[]> frames = TestWire.randomFrames(random, F, 8, 70_000, 0, 1, 4095, 4096, 16_384, 16_400);
                    byte[] wire = TestWire.encodeAll(F, frames);
                    client.writeCut(wire, TestWire.randomCuts(random, wire.length, 4));   // all before reading
                    assertEchoes(client, frames, "seed=" + seed + " " + protocol + " round=" + round);
                }
                client.socket.shutdownOutput();
                assertTrue(client.closedByServer(), "no extra reply, clean close");
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Impl.class)
    void echoesFourMebibyteFrames(Impl impl) throws Exception {
        var random = new Random(4);
        List<byte[]> frames = List.of(TestWire.randomBytes(random, 4 << 20), TestWire.randomBytes(random, 4 << 20));
        try (Server server = start(impl, TestTls.server(false)); var client = client(server)) {
            // Written while the echoes are read: a peer that sends 8 MiB before reading is paused by design.
            Thread writer = Thread.ofVirtual().start(() -> {
                try {
                    client.write(TestWire.encodeAll(F, frames));
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            assertEchoes(client, frames, "4 MiB");
            writer.join();
        }
    }

    @ParameterizedTest
    @EnumSource(Impl.class)
    void servesAHundredConcurrentTlsClients(Impl impl) throws Exception {
        try (Server server = start(impl, TestTls.server(false)); var clients = Executors.newVirtualThreadPerTaskExecutor()) {
            ClientTls tls = TestTls.client(false);
            List<Future<Integer>> results = new ArrayList<>();
            for (int c = 0; c < 100; c++) {
                long seed = c;
                results.add(clients.submit((Callable<Integer>) () -> {
                    var random = new Random(seed);
                    List<byte[]> frames = new ArrayList<>();
                    for (int i = 0; i < 10; i++) frames.add(TestWire.randomBytes(random, random.nextInt(3000)));
                    try (var client = new TestWire(server.port(), F, tls)) {
                        client.write(TestWire.encodeAll(F, frames));
                        assertEchoes(client, frames, "connection " + seed);
                    }
                    return frames.size();
                }));
            }
            int total = 0;
            for (Future<Integer> r : results) total += r.get();
            assertEquals(1000, total);
            Poll.until(() -> "all closed: " + server.stats(), () -> server.stats().openConnections() == 0);
            assertEquals(0, server.stats().errors(), server.stats().toString());
        }
    }

    @ParameterizedTest
    @EnumSource(Impl.class)
    void acceptsAClientWithACertificateSignedByTheClientCa(Impl impl) throws Exception {
        try (Server server = start(impl, TestTls.server(true)); var client = new TestWire(server.port(), F, TestTls.client(true))) {
            client.write(F.encode("mutual".getBytes()));
            assertArrayEquals("mutual".getBytes(), client.readFrame());
        }
    }

    @ParameterizedTest
    @EnumSource(Impl.class)
    void refusesAClientWithoutTheRequiredCertificate(Impl impl) throws Exception {
        try (Server server = start(impl, TestTls.server(true)); var log = new LogCapture()) {
            assertHandshakeRefused(server, TestTls.client(false));
            assertOneTlsLine(server, log, "the client sent no certificate signed by a CA this server trusts (--tls-client-ca), and it requires one");
            try (var good = new TestWire(server.port(), F, TestTls.client(true))) {
                good.write(F.encode("ok".getBytes()));
                assertArrayEquals("ok".getBytes(), good.readFrame());
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Impl.class)
    void refusesAClientCertificateNotSignedByTheClientCa(Impl impl) throws Exception {
        var rogue = new ClientTls(TlsFiles.clientContext(TestTls.file("ca.pem"), TestTls.file("rogue.pem"), TestTls.file("rogue-key.pem"), false),
                "127.0.0.1", true);
        try (Server server = start(impl, TestTls.server(true)); var log = new LogCapture()) {
            assertHandshakeRefused(server, rogue);
            assertOneTlsLine(server, log, "the client sent no certificate signed by a CA this server trusts");
        }
    }

    @ParameterizedTest
    @EnumSource(Impl.class)
    void refusesAPlaintextClientWithOneLineNamingItsFirstBytes(Impl impl) throws Exception {
        try (Server server = start(impl, TestTls.server(false)); var log = new LogCapture()) {
            try (var plain = new TestWire(server.port(), F)) {
                plain.write(F.encode("hello".getBytes()));
                assertTrue(plain.closedByServer(), "closed");
            }
            assertOneTlsLine(server, log, "closed: handshake failed: plaintext on a TLS port? first bytes 00 00 00 05");
            assertStillServing(server);
        }
    }

    @ParameterizedTest
    @EnumSource(Impl.class)
    void refusesAClientThatDoesNotTrustTheServer(Impl impl) throws Exception {
        var untrusting = new ClientTls(TlsFiles.clientContext(TestTls.file("rogue.pem"), null, null, false), "127.0.0.1", true);
        try (Server server = start(impl, TestTls.server(false)); var log = new LogCapture()) {
            assertThrows(IOException.class, () -> new TestWire(server.port(), F, untrusting).close());
            assertOneTlsLine(server, log, "the client does not trust the server's certificate");
            assertStillServing(server);
        }
    }

    @ParameterizedTest
    @EnumSource(Impl.class)
    void closesAStalledHandshakeAtTheIdleDeadline(Impl impl) throws Exception {
        try (Server server = start(impl, TestTls.server(false), Duration.ofMillis(300)); var log = new LogCapture()) {
            try (var silent = new TestWire(server.port(), F)) {
                silent.write(new byte[] {0x16, 0x03, 0x01});            // the start of a ClientHello, then nothing
                assertTrue(silent.closedByServer(), "closed");
            }
            assertOneTlsLine(server, log, "closed: TLS handshake not finished within 300ms (--idle-timeout)");
            assertStillServing(server);
        }
    }

    /**
     * A ClientHello in one record of over 16 KiB (which the JDK accepts, up to 32 KiB) grows the
     * session's packet size: the server's handshake records must be wrapped with that much room,
     * or wrap refuses every time and the connection spins without I/O, holding its thread.
     */
    @ParameterizedTest
    @EnumSource(Impl.class)
    void answersAClientHelloSentAsOneOversizedRecord(Impl impl) throws Exception {
        try (Server server = start(impl, TestTls.server(false, "TLSv1.2"))) {
            for (int i = 0; i < 3; i++) {                                 // more than the async server's group threads
                try (var socket = new java.net.Socket(java.net.InetAddress.getLoopbackAddress(), server.port())) {
                    socket.setSoTimeout(10_000);
                    socket.getOutputStream().write(clientHelloInOneRecord(17_000));
                    byte[] header = socket.getInputStream().readNBytes(5);
                    assertEquals(5, header.length, "the server's first record");
                    assertEquals(0x16, header[0], "a handshake record (ServerHello), not silence: " + java.util.HexFormat.of().formatHex(header));
                }
            }
            assertStillServing(server);
        }
    }

    /** A TLS 1.2 ClientHello (ECDHE with ECDSA or RSA, AES-GCM) padded so that its record is {@code padding}+ bytes. */
    private static byte[] clientHelloInOneRecord(int padding) {
        var ext = new java.io.ByteArrayOutputStream();
        writeExtension(ext, 0x000a, new byte[] {0, 4, 0, 0x17, 0, 0x1d});            // supported_groups: secp256r1, x25519
        writeExtension(ext, 0x000b, new byte[] {1, 0});                              // ec_point_formats: uncompressed
        writeExtension(ext, 0x000d, new byte[] {0, 6, 4, 3, 8, 4, 4, 1});            // signature_algorithms
        writeExtension(ext, 0x0015, new byte[padding]);                              // padding (RFC 7685)
        var body = new java.io.ByteArrayOutputStream();
        body.write(3);
        body.write(3);                                                               // TLS 1.2
        body.writeBytes(new byte[32]);                                               // random
        body.write(0);                                                               // no session id
        body.writeBytes(new byte[] {0, 8, (byte) 0xC0, 0x2B, (byte) 0xC0, 0x2C, (byte) 0xC0, 0x2F, (byte) 0xC0, 0x30});
        body.writeBytes(new byte[] {1, 0});                                          // no compression
        body.write(ext.size() >> 8);
        body.write(ext.size());
        body.writeBytes(ext.toByteArray());
        int n = body.size();
        var record = new java.io.ByteArrayOutputStream();
        record.writeBytes(new byte[] {0x16, 3, 1, (byte) ((n + 4) >> 8), (byte) (n + 4), 1, (byte) (n >> 16), (byte) (n >> 8), (byte) n});
        record.writeBytes(body.toByteArray());
        return record.toByteArray();
    }

    private static void writeExtension(java.io.ByteArrayOutputStream out, int type, byte[] data) {
        out.writeBytes(new byte[] {(byte) (type >> 8), (byte) type, (byte) (data.length >> 8), (byte) data.length});
        out.writeBytes(data);
    }

    @ParameterizedTest
    @EnumSource(Impl.class)
    void treatsAConnectionClosedBeforeAnyByteAsNoError(Impl impl) throws Exception {
        try (Server server = start(impl, TestTls.server(false))) {
            new TestWire(server.port(), F).close();                     // a port check
            Poll.until(() -> "closed: " + server.stats(), () -> server.stats().closed(CloseReason.EOF) == 1);
            assertEquals(0, server.stats().errors());
        }
    }

    @ParameterizedTest
    @EnumSource(Impl.class)
    void goesOnAfterATls13KeyUpdate(Impl impl) throws Exception {
        try (Server server = start(impl, TestTls.server(false, "TLSv1.3")); var client = client(server)) {
            for (int i = 0; i < 3; i++) {
                ((SSLSocket) client.socket).startHandshake();          // on TLS 1.3: a KeyUpdate
                byte[] f = ("after key update " + i).getBytes();
                client.write(F.encode(f));
                assertArrayEquals(f, client.readFrame());
            }
            assertEquals(0, server.stats().errors());
        }
    }

    @ParameterizedTest
    @EnumSource(Impl.class)
    void refusesTls12Renegotiation(Impl impl) throws Exception {
        try (Server server = start(impl, TestTls.server(false, "TLSv1.2")); var log = new LogCapture(); var client = client(server)) {
            client.write(F.encode("before".getBytes()));
            assertArrayEquals("before".getBytes(), client.readFrame());
            assertThrows(IOException.class, () -> {
                ((SSLSocket) client.socket).startHandshake();
                client.write(F.encode("after".getBytes()));
                client.readFrame();
            });
            assertOneTlsLine(server, log, "renegotiation refused");
        }
    }

    @ParameterizedTest
    @EnumSource(Impl.class)
    void sendsCloseNotifyAtShutdown(Impl impl) throws Exception {
        Server server = start(impl, TestTls.server(false));
        try (var client = client(server)) {
            client.write(F.encode("x".getBytes()));
            assertArrayEquals("x".getBytes(), client.readFrame());
            server.close();
            assertEquals(-1, client.in.read(), "a clean end of the session: close_notify, not a reset");
            assertEquals(1, server.stats().closed(CloseReason.SHUTDOWN));
        } finally {
            server.close();
        }
    }

    @ParameterizedTest
    @EnumSource(Impl.class)
    void sendsOwedRepliesThenClosesOnAProtocolErrorOverTls(Impl impl) throws Exception {
        FrameFormat format = F.withMaxFrame(100);
        try (Server server = Loomframe.start(ServerConfig.builder().impl(impl).port(0).format(format).tls(TestTls.server(false)).build());
             var client = new TestWire(server.port(), format, TestTls.client(false))) {
            client.write(TestWire.concat(List.of(format.encode("one".getBytes()), new byte[] {0, 0, 0, (byte) 101})));
            assertArrayEquals("one".getBytes(), client.readFrame());
            assertTrue(client.closedByServer());
            Poll.until(() -> "too-large: " + server.stats(), () -> server.stats().closed(CloseReason.TOO_LARGE) == 1);
        }
    }

    private static void assertHandshakeRefused(Server server, ClientTls tls) {
        assertThrows(IOException.class, () -> {
            try (var c = new TestWire(server.port(), F, tls)) {         // TLS 1.3: the refusal may come after the client's Finished
                c.write(F.encode("x".getBytes()));
                c.readFrame();
            }
        });
    }

    private static void assertOneTlsLine(Server server, LogCapture log, String text) throws Exception {
        Poll.until(() -> "closed as tls: " + server.stats() + " " + log.lines, () -> server.stats().closed(CloseReason.TLS) == 1);
        Poll.until(() -> "a line containing '" + text + "': " + log.lines, () -> log.containing(text).size() == 1);
        assertEquals(1, log.lines.stream().filter(l -> l.message().contains("127.0.0.1:")).count(), "one line: " + log.lines);
        assertEquals(1, server.stats().errors(), server.stats().toString());
    }
}
