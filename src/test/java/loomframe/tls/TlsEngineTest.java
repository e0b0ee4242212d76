package loomframe.tls;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.Random;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import loomframe.TestTls;
import org.junit.jupiter.api.Test;

/** The engine driver without sockets: two engines joined by byte arrays, every byte moved by the test. */
class TlsEngineTest {
    private final TlsBuffers serverBuffers = new TlsBuffers(16709, false);
    private final TlsBuffers clientBuffers = new TlsBuffers(16709, false);

    private TlsEngine server() {
        SSLEngine e = TlsFiles.serverContext(TestTls.file("server.pem"), TestTls.file("server-key.pem"), null).createSSLEngine();
        e.setUseClientMode(false);
        return new TlsEngine(e, serverBuffers);
    }

    private TlsEngine client() {
        return new TlsEngine(TestTls.client(false).newEngine(7777), clientBuffers);
    }

    /** Moves what {@code from} has to send into {@code to}'s inbound buffer, at most {@code max} bytes at a time. */
    private static void pipe(TlsEngine from, TlsEngine to) {
        while (from.hasOutbound()) {
            ByteBuffer out = from.outbound();
            ByteBuffer in = to.inbound();
            int n = Math.min(out.remaining(), in.remaining());
            ByteBuffer slice = out.slice(out.position(), n);
            in.put(slice);
            out.position(out.position() + n);
        }
        from.sent();
    }

    private static void handshake(TlsEngine a, TlsEngine b) throws SSLException {
        boolean aDone = false, bDone = false;
        for (int i = 0; i < 50 && !(aDone && bDone); i++) {
            TlsEngine.Next na = a.handshake();
            if (na == TlsEngine.Next.WRITE) pipe(a, b);
            aDone = na == TlsEngine.Next.DONE;
            TlsEngine.Next nb = b.handshake();
            if (nb == TlsEngine.Next.WRITE) pipe(b, a);
            bDone = nb == TlsEngine.Next.DONE;
        }
        assertTrue(aDone && bDone, "handshake finished");
    }

    private static void send(TlsEngine from, TlsEngine to, byte[] data) throws SSLException {
        ByteBuffer[] src = {ByteBuffer.wrap(data)};
        while (src[0].hasRemaining()) {
            from.wrap(src, 0, 1);
            pipe(from, to);
        }
    }

    /** Reads {@code n} plaintext bytes through a window of {@code window} bytes at a time. */
    private static byte[] receive(TlsEngine engine, int n, int window) throws SSLException {
        ByteBuffer all = ByteBuffer.allocate(n);
        while (all.hasRemaining()) {
            ByteBuffer w = ByteBuffer.allocateDirect(Math.min(window, all.remaining()));
            long got = engine.unwrap(new ByteBuffer[] {w}, 0, 1);
            assertTrue(got > 0, "plaintext waiting, got " + got + " need " + engine.need());
            all.put(w.flip());
        }
        return all.array();
    }

    @Test
    void givesARecordOutThroughAnEightByteWindowAndHoldsNothingOnceItIsTaken() throws SSLException {
        TlsEngine s = server(), c = client();
        handshake(c, s);
        byte[] data = new byte[40_000];
        new Random(1).nextBytes(data);
        send(c, s, data);
        assertArrayEquals(data, receive(s, data.length, 8));
        assertEquals(0, s.unwrap(new ByteBuffer[] {ByteBuffer.allocate(8)}, 0, 1), "nothing more");
        assertEquals(TlsEngine.Next.READ, s.need());
        assertEquals(0, s.heldBytes(), "between records, outside a read: no TLS buffer held");
        assertTrue(serverBuffers.keptBytes() > 0, "they went back to the pool");
    }

    @Test
    void unwrapsStraightIntoBuffersWithRoomForTheRecord() throws SSLException {
        TlsEngine s = server(), c = client();
        handshake(c, s);
        byte[] data = new byte[20_000];
        new Random(2).nextBytes(data);
        send(c, s, data);
        assertArrayEquals(data, receive(s, data.length, 64 * 1024));
    }

    @Test
    void reportsTheEndOfTheSessionAfterCloseNotify() throws SSLException {
        TlsEngine s = server(), c = client();
        handshake(c, s);
        send(s, c, "bye".getBytes());
        ByteBuffer closeNotify = s.closeNotify();
        c.inbound().put(closeNotify);
        assertArrayEquals("bye".getBytes(), receive(c, 3, 100));
        assertEquals(-1, c.unwrap(new ByteBuffer[] {ByteBuffer.allocate(100)}, 0, 1));
    }

    @Test
    void failsOnAnEndOfStreamInsideARecord() throws SSLException {
        TlsEngine s = server(), c = client();
        handshake(c, s);
        c.wrap(new ByteBuffer[] {ByteBuffer.wrap(new byte[100])}, 0, 1);
        ByteBuffer out = c.outbound();
        out.limit(out.limit() - 10);                                 // the record's last 10 bytes never arrive
        s.inbound().put(out);
        s.endOfInput();
        var e = assertThrows(TlsFailure.class, () -> s.unwrap(new ByteBuffer[] {ByteBuffer.allocate(200)}, 0, 1));
        assertTrue(e.getMessage().startsWith("TLS failed: end of stream inside a TLS record after"), e.getMessage());
    }

    @Test
    void endsCleanlyOnAnEndOfStreamBetweenRecords() throws SSLException {
        TlsEngine s = server(), c = client();
        handshake(c, s);
        s.endOfInput();
        assertEquals(-1, s.unwrap(new ByteBuffer[] {ByteBuffer.allocate(8)}, 0, 1));
    }
}
