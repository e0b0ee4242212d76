package loomframe.tls;

import java.nio.ByteBuffer;
import java.util.HexFormat;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;

/**
 * One connection's {@link SSLEngine} and the buffers it needs, with no I/O of its own: whoever
 * moves the bytes — a blocking thread, completion handlers, a selector loop — asks it what is
 * needed next and does it its own way. So the engine's rules live here once:
 * {@code BUFFER_UNDERFLOW} (a record is not complete: read more), {@code BUFFER_OVERFLOW} (the
 * reader's buffers are too small for a record: unwrap it aside and hand it out piecemeal), the
 * handshake's {@code NEED_WRAP}/{@code NEED_UNWRAP}/{@code NEED_TASK}, post-handshake messages
 * (TLS 1.3 key updates and session tickets), close_notify, and the one log line's worth of why it
 * failed.
 *
 * <pre>
 *   handshake() -&gt; READ  : read ciphertext into inbound(), ask again (endOfInput() at end of stream)
 *               -&gt; WRITE : write outbound() until empty, sent(), ask again
 *               -&gt; DONE  : frames may flow
 *   unwrap(dsts) -&gt; n &gt; 0 plaintext bytes, -1 the peer closed, or 0 and need() says READ or WRITE
 *   wrap(srcs)   -&gt; plaintext bytes taken; write outbound() until empty, then sent()
 * </pre>
 *
 * <h2>Memory follows bytes</h2>
 * Buffers come from a shared {@link TlsBuffers} and go back the moment they are empty. An idle
 * connection holds one: the 4 KiB buffer its waiting read names (a blocking read and a pending
 * NIO.2 read both need their buffer before the bytes come; reading the 5-byte record header alone
 * first would cost a second read per record). Ciphertext is read into that 4 KiB buffer first and
 * moves to a larger one only when a record does not fit; a read starts large again only while the
 * peer keeps the socket full. Plaintext is unwrapped straight into the reader's buffers when
 * they have room for the record; only when they do not (a read of a length field) does it wait in
 * a buffer of its own, sized to the record.
 *
 * <h2>What it refuses</h2>
 * TLS 1.2 renegotiation started by the peer: the connection fails with a TLS error instead (a
 * renegotiation costs the server a full handshake per request, a known denial of service, and
 * nothing a framing client needs). Ciphertext after the peer's close_notify is ignored.
 *
 * <p>Not thread-safe: one operation at a time, each after the last with a happens-before edge
 * (one thread, or completions that hand over).
 */
public final class TlsEngine {

    /** What the engine needs before it can go on. */
    public enum Next {
        /** Ciphertext from the peer: read into {@link #inbound()}. */
        READ,
        /** Ciphertext for the peer: write {@link #outbound()} until it is empty, then {@link #sent()}. */
        WRITE,
        /** The handshake is over: frames may flow. */
        DONE
    }

    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);
    private static final int RECORD_HEADER = 5;
    private static final byte HANDSHAKE_RECORD = 0x16;

    private final SSLEngine engine;
    private final TlsBuffers buffers;
    private final String peerRole;             // "client" on a server, "server" on a client: for messages
    private ByteBuffer netIn;                  // ciphertext received, not yet unwrapped: [0, position)
    private ByteBuffer appIn;                  // plaintext unwrapped, not yet given out: [position, limit)
    private ByteBuffer netOut;                 // ciphertext to send: [position, limit)
    private Next need = Next.READ;
    private boolean started;
    private boolean handshakeDone;
    private boolean inputEnded;                // the socket reached end of stream
    private boolean closedByPeer;              // close_notify received
    private boolean startLarge;                // the last reads needed a large buffer: start the next one large
    private boolean neverStarted;              // the peer closed before sending a byte: nothing to say to it
    private long consumed;                     // handshake ciphertext unwrapped, for messages
    private long received;                     // handshake ciphertext unwrapped or pending, for messages
    private final byte[] firstBytes = new byte[4];
    private int firstCount;
    private TlsFailure pendingFailure;         // thrown once the alert that tells the peer is sent

    /**
     * @param engine  a fresh engine, its mode and parameters set (client or server, protocols,
     *                client authentication)
     * @param buffers the pool its buffers come from
     */
    public TlsEngine(SSLEngine engine, TlsBuffers buffers) {
        this.engine = engine;
        this.buffers = buffers;
        this.peerRole = engine.getUseClientMode() ? "server" : "client";
    }

    public SSLEngine engine() {
        return engine;
    }

    /** Whether the handshake finished. */
    public boolean handshakeDone() {
        return handshakeDone;
    }

    /** After {@link #unwrap} returned 0: what it needs first. */
    public Next need() {
        return need;
    }

    // --- the handshake ----------------------------------------------------------------------

    /** Advances the handshake as far as it goes without I/O, and says what it needs next. */
    public Next handshake() throws SSLException {
        try {
            if (!started) {
                started = true;
                engine.beginHandshake();
            }
            while (true) {
                if (hasOutbound()) return Next.WRITE;               // what was wrapped goes out first
                if (pendingFailure != null) throw pendingFailure;   // the alert is out: now fail
                switch (engine.getHandshakeStatus()) {
                    case NEED_TASK -> runTasks();
                    case NEED_WRAP -> wrapHandshake();
                    case NEED_UNWRAP, NEED_UNWRAP_AGAIN -> {
                        if (!unwrapHandshake()) return Next.READ;
                        if (neverStarted) return Next.DONE;             // closed before a byte: read() says end of stream
                    }
                    case FINISHED, NOT_HANDSHAKING -> {
                        handshakeDone = true;
                        return Next.DONE;
                    }
                }
            }
        } catch (TlsFailure e) {
            throw e;
        } catch (SSLException | RuntimeException e) {
            TlsFailure f = failWithAlert(e);
            if (pendingFailure != null) return Next.WRITE;      // tell the peer first, then fail
            throw f;
        }
    }

    /** One handshake record from what was read; false: more ciphertext needed. */
    private boolean unwrapHandshake() throws SSLException {
        if (netIn == null || netIn.position() == 0) {
            if (inputEnded) return endedInHandshake();
            need = Next.READ;
            return false;
        }
        noteFirstBytes();
        netIn.flip();
        try {
            SSLEngineResult r = engine.unwrap(netIn, EMPTY);       // handshake records carry no plaintext
            consumed += r.bytesConsumed();
            switch (r.getStatus()) {
                case BUFFER_UNDERFLOW -> {
                    if (inputEnded) throw failure("the " + peerRole + " closed the connection in the middle of a handshake record", null);
                    need = Next.READ;
                    return false;
                }
                case BUFFER_OVERFLOW -> {                           // plaintext already: the handshake must be over
                    if (engine.getHandshakeStatus() == HandshakeStatus.NEED_UNWRAP) {
                        throw failure("the " + peerRole + " sent application data before the handshake finished", null);
                    }
                    return true;
                }
                case CLOSED -> throw failure("the " + peerRole + " closed the session during the handshake", null);
                default -> {
                    return true;
                }
            }
        } finally {
            compactInbound();
        }
    }

    /** End of stream during the handshake: nothing sent at all is a plain close; anything else a failed handshake. */
    private boolean endedInHandshake() throws TlsFailure {
        if (received == 0 && !engine.getUseClientMode()) {
            handshakeDone = true;                                   // never began (a port check): read() reports end of stream
            closedByPeer = true;
            neverStarted = true;
            return true;
        }
        throw failure("the " + peerRole + " closed the connection during the handshake"
                + (engine.getUseClientMode() ? " (is it serving TLS?)" : " after " + received + " bytes"), null);
    }

    private void wrapHandshake() throws SSLException {
        for (int attempt = 1; ; attempt++) {
            openOutbound(buffers.recordSize());
            SSLEngineResult r;
            try {
                r = engine.wrap(EMPTY, netOut);
            } finally {
                netOut.flip();
            }
            if (r.getStatus() == SSLEngineResult.Status.CLOSED && r.bytesProduced() == 0 && !hasPending()) {
                throw failure("the session closed during the handshake", null);
            }
            if (r.getStatus() != SSLEngineResult.Status.BUFFER_OVERFLOW) return;
            // The session's packet size grew while wrapping (see openOutbound): once more with room
            // for it. Twice means the engine wants what it does not say: fail, never spin.
            if (attempt == 2) {
                throw failure("no room for a handshake record: " + netOut.capacity() + " bytes, the session asks "
                        + engine.getSession().getPacketBufferSize(), null);
            }
        }
    }

    private boolean hasPending() {
        return netOut != null && netOut.hasRemaining();
    }

    // --- reading plaintext ------------------------------------------------------------------

    /**
     * Plaintext for the reader: what was unwrapped before first, then every complete record
     * already read, unwrapped straight into {@code dsts} where they have room for it.
     *
     * @return bytes given ({@code > 0}); -1 when the peer has closed the session (close_notify, or
     *         end of stream between records); or 0: {@link #need()} says what must happen first
     * @throws TlsFailure if the peer broke TLS, ended the stream inside a record, or renegotiated
     */
    public long unwrap(ByteBuffer[] dsts, int offset, int length) throws SSLException {
        long given = 0;
        if (appIn != null) {
            given = copy(appIn, dsts, offset, length);
            if (appIn.hasRemaining()) return given;
            buffers.give(appIn);
            appIn = null;
        }
        if (hasOutbound()) {                                        // a key update's answer goes out first
            need = Next.WRITE;
            return given;
        }
        if (closedByPeer) return given > 0 ? given : -1;
        if (netIn == null || netIn.position() == 0) {
            if (inputEnded) return given > 0 ? given : -1;          // end of stream between records
            need = Next.READ;
            return given;
        }
        netIn.flip();
        try {
            while (netIn.hasRemaining() && room(dsts, offset, length) > 0) {
                HandshakeStatus hs = engine.getHandshakeStatus();
                if (hs == HandshakeStatus.NEED_TASK) {
                    runTasks();
                    continue;
                }
                if (hs == HandshakeStatus.NEED_WRAP) {              // TLS 1.3 key update: answer it
                    wrapHandshake();
                    need = Next.WRITE;
                    return given;
                }
                SSLEngineResult r = engine.unwrap(netIn, dsts, offset, length);
                switch (r.getStatus()) {
                    case OK -> given += r.bytesProduced();
                    case BUFFER_OVERFLOW -> {                       // the reader's room is smaller than this record
                        if (given > 0) return given;
                        if (!recordComplete()) {
                            need = Next.READ;
                            return checkEnded(given);
                        }
                        given += unwrapAside(dsts, offset, length);
                        if (closedByPeer) return given > 0 ? given : -1;   // that record was close_notify
                        if (appIn != null) return given;            // the rest waits for the next read
                    }
                    case BUFFER_UNDERFLOW -> {
                        need = Next.READ;
                        return checkEnded(given);
                    }
                    case CLOSED -> {
                        closedByPeer = true;
                        return given > 0 ? given : -1;
                    }
                }
                refuseRenegotiation(r.getHandshakeStatus());
            }
            if (engine.getHandshakeStatus() == HandshakeStatus.NEED_WRAP) {   // the last record was a key update: answer it now
                wrapHandshake();
                need = Next.WRITE;
                return given;
            }
            need = Next.READ;
            return netIn.hasRemaining() ? given : checkEnded(given);
        } catch (TlsFailure e) {
            throw e;
        } catch (SSLException | RuntimeException e) {
            throw failWithAlert(e);
        } finally {
            compactInbound();
        }
    }

    /** Unwraps one record into a buffer of its own and gives out what fits. */
    private long unwrapAside(ByteBuffer[] dsts, int offset, int length) throws SSLException {
        int fragment = recordLength();
        appIn = buffers.take(fragment <= TlsBuffers.SMALL ? TlsBuffers.SMALL : engine.getSession().getApplicationBufferSize());
        SSLEngineResult r = engine.unwrap(netIn, appIn);
        appIn.flip();
        if (r.getStatus() == SSLEngineResult.Status.CLOSED) closedByPeer = true;
        refuseRenegotiation(r.getHandshakeStatus());
        long n = copy(appIn, dsts, offset, length);
        if (!appIn.hasRemaining()) {
            buffers.give(appIn);
            appIn = null;
        }
        return n;
    }

    /** More ciphertext is needed: at end of stream, a record cut short is an error, nothing pending is a close. */
    private long checkEnded(long given) throws TlsFailure {
        if (!inputEnded || given > 0) return given;
        if (netIn != null && netIn.hasRemaining()) {
            throw failure("end of stream inside a TLS record after " + netIn.remaining() + " of "
                    + (recordLength() + RECORD_HEADER) + " bytes", null);
        }
        return -1;
    }

    private void refuseRenegotiation(HandshakeStatus hs) throws TlsFailure {
        // TLS 1.2 only: in 1.3 there is no renegotiation, and after a NewSessionTicket the JDK may
        // stay in NEED_UNWRAP (a ticket it drops without finishing the post-handshake message).
        if ("TLSv1.2".equals(engine.getSession().getProtocol())
                && (hs == HandshakeStatus.NEED_UNWRAP || hs == HandshakeStatus.NEED_WRAP || hs == HandshakeStatus.NEED_TASK)) {
            throw failure("renegotiation refused: the " + peerRole + " started a new handshake (TLS 1.2); loomframe does not renegotiate", null);
        }
    }

    // --- writing plaintext ------------------------------------------------------------------

    /**
     * Encrypts as much of {@code srcs} as {@link #outbound()} has room for.
     *
     * @return plaintext bytes taken; then write {@link #outbound()} until it is empty and call
     *         {@link #sent()}, and offer the rest again
     */
    public long wrap(ByteBuffer[] srcs, int offset, int length) throws SSLException {
        long want = room(srcs, offset, length);
        // A reply of less than a record needs one record's room (the engine insists on it); more
        // gets four, so a 64 KiB reply goes out in one write.
        openOutbound(want <= buffers.recordSize() - 64 ? buffers.recordSize() : buffers.largeSize());
        long taken = 0;
        try {
            while (taken < want && netOut.remaining() >= engine.getSession().getPacketBufferSize()) {
                SSLEngineResult r = engine.wrap(srcs, offset, length, netOut);
                if (r.getStatus() == SSLEngineResult.Status.CLOSED) throw failure("the session is closed: cannot send", null);
                if (r.getStatus() == SSLEngineResult.Status.BUFFER_OVERFLOW) break;
                taken += r.bytesConsumed();
                if (r.getHandshakeStatus() == HandshakeStatus.NEED_TASK) runTasks();
                if (r.bytesConsumed() == 0 && r.bytesProduced() == 0) {
                    throw failure("cannot send in handshake state " + r.getHandshakeStatus(), null);
                }
            }
        } catch (TlsFailure e) {
            throw e;
        } catch (SSLException | RuntimeException e) {
            throw failure(describe(e), e);
        } finally {
            netOut.flip();
        }
        return taken;
    }

    // --- the buffers the I/O uses -----------------------------------------------------------

    /** Where to read ciphertext: never full (a record that does not fit moves to a larger buffer). */
    public ByteBuffer inbound() {
        if (netIn == null) {
            netIn = buffers.take(startLarge ? buffers.largeSize() : TlsBuffers.SMALL);
        } else if (!netIn.hasRemaining()) {                        // a record larger than this buffer
            int needed = Math.max(engine.getSession().getPacketBufferSize(), recordLengthInFill() + RECORD_HEADER);
            ByteBuffer bigger = buffers.take(Math.max(needed, Math.min(buffers.largeSize(), 2 * netIn.capacity())));
            netIn.flip();
            bigger.put(netIn);
            buffers.give(netIn);
            netIn = bigger;
            startLarge = true;
        }
        return netIn;
    }

    /** The socket reached end of stream: what was read is all there will be. */
    public void endOfInput() {
        inputEnded = true;
    }

    /** Whether ciphertext waits in {@link #outbound()}. */
    public boolean hasOutbound() {
        return netOut != null && netOut.hasRemaining();
    }

    /** Ciphertext to write, from its position to its limit. */
    public ByteBuffer outbound() {
        return netOut;
    }

    /** Everything {@link #outbound()} had is written: its buffer goes back. */
    public void sent() {
        if (netOut != null && !netOut.hasRemaining()) {
            buffers.give(netOut);
            netOut = null;
        }
    }

    /**
     * Ends the session: the close_notify record to send before closing the socket, in a small
     * buffer of its own (so that it may still be in flight after {@link #release()}), or null if
     * there is nothing to say (the handshake never finished, or the session is closed already).
     */
    public ByteBuffer closeNotify() {
        if (!handshakeDone || neverStarted || engine.isOutboundDone()) return null;
        engine.closeOutbound();
        ByteBuffer b = buffers.take(Math.max(buffers.recordSize(), engine.getSession().getPacketBufferSize()));
        try {
            engine.wrap(EMPTY, b);
            b.flip();
            return b.hasRemaining() ? ByteBuffer.allocate(b.remaining()).put(b).flip() : null;
        } catch (SSLException | RuntimeException e) {
            return null;                                            // closing anyway
        } finally {
            buffers.give(b);
        }
    }

    /** Gives every buffer back: the connection is closing. Idempotent. */
    public void release() {
        if (netIn != null) buffers.give(netIn);
        if (appIn != null) buffers.give(appIn);
        if (netOut != null) buffers.give(netOut);
        netIn = appIn = netOut = null;
    }

    /** Bytes of buffers held now (tests: between records, outside a read, none). */
    public int heldBytes() {
        return (netIn == null ? 0 : netIn.capacity()) + (appIn == null ? 0 : appIn.capacity())
                + (netOut == null ? 0 : netOut.capacity());
    }

    // --- helpers ------------------------------------------------------------------------------

    /**
     * Room to wrap into: at least {@code capacity}, and never less than the session's packet size,
     * which is not fixed — a peer that sends one record over 16 KiB (the JDK accepts up to 32 KiB)
     * makes the engine expand it for the rest of the session, and wrap then refuses any smaller room.
     */
    private void openOutbound(int capacity) {
        int packet = engine.getSession().getPacketBufferSize();
        capacity = Math.max(capacity, packet);
        if (netOut == null) {
            netOut = buffers.take(capacity);
        } else {
            netOut.compact();                                       // what is still unsent stays first
            if (netOut.remaining() < packet) {
                ByteBuffer bigger = buffers.take(capacity + netOut.position());
                netOut.flip();
                bigger.put(netOut);
                buffers.give(netOut);
                netOut = bigger;
            }
        }
    }

    /** Back to filling after an unwrap (the buffer was flipped for it); an empty buffer goes back to the pool. */
    private void compactInbound() {
        if (netIn == null) return;
        boolean filled = netIn.limit() == netIn.capacity();        // the last read filled the buffer: more was waiting
        netIn.compact();
        if (netIn.position() == 0) {
            // Start the next read large only while the peer keeps the socket full: a read that
            // drained it means the peer paused, and a quiet connection must not park on 64 KiB.
            if (netIn.capacity() < buffers.largeSize() || !filled) startLarge = false;
            buffers.give(netIn);
            netIn = null;
        }
    }

    /** Length of the record at the read position (read mode), from its header; 0 if the header is not complete. */
    private int recordLength() {
        if (netIn.remaining() < RECORD_HEADER) return 0;
        int p = netIn.position();
        return (netIn.get(p + 3) & 0xFF) << 8 | netIn.get(p + 4) & 0xFF;
    }

    /** The same in fill mode (the record starts at 0). */
    private int recordLengthInFill() {
        if (netIn.position() < RECORD_HEADER) return 0;
        return (netIn.get(3) & 0xFF) << 8 | netIn.get(4) & 0xFF;
    }

    private boolean recordComplete() {
        return netIn.remaining() >= RECORD_HEADER && netIn.remaining() >= RECORD_HEADER + recordLength();
    }

    /** The first bytes a server receives say whether the client speaks TLS at all. */
    private void noteFirstBytes() throws TlsFailure {
        received = consumed + netIn.position();
        if (consumed > 0) return;                                   // the first record's bytes are all at the start
        int n = Math.min(firstBytes.length, netIn.position());
        for (int i = firstCount; i < n; i++) firstBytes[i] = netIn.get(i);
        firstCount = Math.max(firstCount, n);
        if (!engine.getUseClientMode() && firstCount > 0 && firstBytes[0] != HANDSHAKE_RECORD) {
            throw failure("plaintext on a TLS port? first bytes " + HexFormat.ofDelimiter(" ").withUpperCase()
                    .formatHex(firstBytes, 0, firstCount), null);
        }
    }

    private void runTasks() {
        Runnable task;
        while ((task = engine.getDelegatedTask()) != null) task.run();   // CPU work, short: here, as Netty does by default
    }

    private static long room(ByteBuffer[] bs, int offset, int length) {
        long n = 0;
        for (int i = offset; i < offset + length; i++) n += bs[i].remaining();
        return n;
    }

    private static long copy(ByteBuffer from, ByteBuffer[] to, int offset, int length) {
        long n = 0;
        for (int i = offset; i < offset + length && from.hasRemaining(); i++) {
            ByteBuffer d = to[i];
            int k = Math.min(d.remaining(), from.remaining());
            if (k == 0) continue;
            int limit = from.limit();
            from.limit(from.position() + k);
            d.put(from);
            from.limit(limit);
            n += k;
        }
        return n;
    }

    // --- failures -------------------------------------------------------------------------------

    /**
     * The engine failed: keep the failure, and wrap the alert it prepared so that the peer learns
     * why (a client without the certificate the server requires sees {@code certificate_required},
     * not a reset); {@link #handshake()} throws once the alert is sent.
     */
    private TlsFailure failWithAlert(Exception e) {
        TlsFailure f = failure(describe(e), e);
        if (handshakeDone) return f;
        try {
            if (engine.getHandshakeStatus() == HandshakeStatus.NEED_WRAP) wrapHandshake();
        } catch (SSLException | RuntimeException ignored) {
            // no alert then: the failure is what matters
        }
        if (hasOutbound()) pendingFailure = f;
        return f;
    }

    private TlsFailure failure(String what, Throwable cause) {
        return new TlsFailure((handshakeDone ? "TLS failed: " : "handshake failed: ") + what, !handshakeDone, cause);
    }

    /** The engine's exception, in the peer's terms. */
    private String describe(Throwable e) {
        return TlsFailure.explain(e, !engine.getUseClientMode(), engine.getPeerHost(), engine.getEnabledProtocols());
    }
}
