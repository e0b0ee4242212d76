package loomframe.server.core.tls;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import loomframe.server.core.BlockingTransport;
import loomframe.tls.TlsEngine;

/**
 * TLS over a blocking socket: a wrapper. Each call asks the {@link TlsEngine} what it needs and
 * does it on the spot — read ciphertext, write ciphertext — blocking the connection's thread
 * until it is done, and the engine's state lives where the thread is. The connection above calls
 * {@code read} and {@code write} exactly as it does over plain TCP.
 */
public final class BlockingTlsTransport implements BlockingTransport {
    private final SocketChannel channel;
    private final TlsEngine tls;

    public BlockingTlsTransport(SocketChannel channel, TlsEngine tls) {
        this.channel = channel;
        this.tls = tls;
    }

    // tag::blocking-tls[]
    /** The handshake: a loop that does whatever the engine needs next, blocking on each step. */
    @Override
    public void open() throws IOException {
        while (true) {
            switch (tls.handshake()) {
                case READ -> receive();
                case WRITE -> send();
                case DONE -> { return; }
            }
        }
    }

    /** Plaintext: what the engine can unwrap from what was read, reading more until there is some. */
    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
        while (true) {
            long n = tls.unwrap(dsts, offset, length);
            if (n != 0) return n;                            // bytes, or -1: the peer closed
            if (tls.need() == TlsEngine.Next.WRITE) send(); else receive();
        }
    }

    /** Encrypts what fits a few records and writes all of it before returning. */
    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
        long n = tls.wrap(srcs, offset, length);
        send();
        return n;
    }

    private void receive() throws IOException {
        if (channel.read(tls.inbound()) < 0) tls.endOfInput();
    }

    private void send() throws IOException {
        while (tls.hasOutbound()) channel.write(tls.outbound());   // blocks while the peer is slow to read
        tls.sent();
    }
    // end::blocking-tls[]

    /** close_notify, one attempt without blocking (a peer that does not read gets none), then the buffers go back. */
    @Override
    public void shutdown() {
        try {
            ByteBuffer closeNotify = tls.closeNotify();
            if (closeNotify != null && channel.isOpen()) {
                channel.configureBlocking(false);
                channel.write(closeNotify);
            }
        } catch (IOException | RuntimeException ignored) {
            // closing anyway
        } finally {
            tls.release();
        }
    }
}
