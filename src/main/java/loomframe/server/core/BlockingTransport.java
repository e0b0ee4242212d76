package loomframe.server.core;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/**
 * How a blocking connection moves its bytes: the socket itself, or TLS over it. Every call blocks
 * the calling thread until it is done; closing the socket underneath makes a blocked call fail.
 */
public interface BlockingTransport {

    /** Whatever must happen before frames flow (a TLS handshake); nothing for plain TCP. */
    default void open() throws IOException {
    }

    /** A scattering read, as {@link SocketChannel#read(ByteBuffer[], int, int)}: blocks until bytes arrive; -1 at end of stream. */
    long read(ByteBuffer[] dsts, int offset, int length) throws IOException;

    /** A gathering write, as {@link SocketChannel#write(ByteBuffer[], int, int)}: may take fewer bytes than offered. */
    long write(ByteBuffer[] srcs, int offset, int length) throws IOException;

    /** Ends the session politely before the socket is closed (TLS sends close_notify); nothing for plain TCP. Must not throw. */
    default void shutdown() {
    }

    /** Plain TCP: the channel's own reads and writes. */
    static BlockingTransport plain(SocketChannel channel) {
        return new BlockingTransport() {
            @Override
            public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
                return channel.read(dsts, offset, length);
            }

            @Override
            public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
                return channel.write(srcs, offset, length);
            }
        };
    }
}
