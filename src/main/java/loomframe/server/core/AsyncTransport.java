package loomframe.server.core;

import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousSocketChannel;
import java.nio.channels.CompletionHandler;
import java.util.concurrent.TimeUnit;

/**
 * How an asynchronous connection moves its bytes: the channel itself, or TLS over it. Each call
 * starts an operation and returns; the handler runs when it completes (on a channel-group thread),
 * with the same results as {@link AsynchronousSocketChannel}'s scattering read and gathering write.
 * At most one read and one write are outstanding; closing the channel fails what is pending. The
 * TLS transport ({@code loomframe.server.core.tls.AsyncTlsTransport}) needs one operation at a
 * time — its read may write (a key update's answer) — which {@code AsyncConnection} guarantees:
 * it never starts a read while it writes, nor the reverse.
 */
public interface AsyncTransport {

    /** Whatever must happen before frames flow (a TLS handshake); plain TCP completes at once. */
    default void open(CompletionHandler<Void, Void> done) {
        done.completed(null, null);
    }

    <A> void read(ByteBuffer[] dsts, int offset, int length, A attachment, CompletionHandler<Long, ? super A> handler);

    <A> void write(ByteBuffer[] srcs, int offset, int length, A attachment, CompletionHandler<Long, ? super A> handler);

    /** Ends the session politely before the channel is closed (TLS sends close_notify); nothing for plain TCP. Must not throw. */
    default void shutdown() {
    }

    /** Plain TCP: the channel's own reads and writes. */
    static AsyncTransport plain(AsynchronousSocketChannel channel) {
        return new AsyncTransport() {
            @Override
            public <A> void read(ByteBuffer[] dsts, int offset, int length, A attachment, CompletionHandler<Long, ? super A> handler) {
                channel.read(dsts, offset, length, 0L, TimeUnit.MILLISECONDS, attachment, handler);
            }

            @Override
            public <A> void write(ByteBuffer[] srcs, int offset, int length, A attachment, CompletionHandler<Long, ? super A> handler) {
                channel.write(srcs, offset, length, 0L, TimeUnit.MILLISECONDS, attachment, handler);
            }
        };
    }
}
