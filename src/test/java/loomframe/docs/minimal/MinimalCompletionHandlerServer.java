package loomframe.docs.minimal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousServerSocketChannel;
import java.nio.channels.AsynchronousSocketChannel;
import java.nio.channels.CompletionHandler;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;

/** The same server with NIO.2 completion handlers: docs/COMPARISON.md, "The minimal pair". */
// tag::minimal-completion-handlers[]
public final class MinimalCompletionHandlerServer {
    static final int MAX_FRAME = 16 * 1024 * 1024;

    public static void serve(AsynchronousServerSocketChannel listener) {
        listener.accept(null, new CompletionHandler<AsynchronousSocketChannel, Void>() {
            @Override public void completed(AsynchronousSocketChannel channel, Void a) {
                listener.accept(null, this);                  // keep accepting
                new Connection(channel).readHeader();
            }
            @Override public void failed(Throwable e, Void a) {}
        });
    }

    /** What a thread would keep on its stack lives here, between callbacks. */
    static final class Connection {
        final AsynchronousSocketChannel channel;
        final ByteBuffer header = ByteBuffer.allocate(4);
        ByteBuffer body;

        Connection(AsynchronousSocketChannel channel) { this.channel = channel; }

        void readHeader() {
            header.clear();
            channel.read(header, null, handler(this::headerMore));
        }

        void headerMore(int n) {                              // the length itself may come in pieces
            if (header.hasRemaining()) channel.read(header, null, handler(this::headerMore)); else headerDone();
        }

        void headerDone() {
            int length = header.flip().getInt();
            if (length < 0 || length > MAX_FRAME) { close(); return; }
            body = ByteBuffer.allocate(length);
            if (length == 0) { writeReply(); return; }
            channel.read(body, null, handler(this::bodyMore));
        }

        void bodyMore(int n) {
            if (body.hasRemaining()) channel.read(body, null, handler(this::bodyMore)); else writeReply();
        }

        void writeReply() {
            ByteBuffer[] reply = {header.rewind(), body.flip()};
            channel.write(reply, 0, 2, 0, TimeUnit.SECONDS, null, new CompletionHandler<Long, Void>() {
                @Override public void completed(Long n, Void a) {
                    if (reply[1].hasRemaining()) channel.write(reply, 0, 2, 0, TimeUnit.SECONDS, null, this); else readHeader();
                }
                @Override public void failed(Throwable e, Void a) { close(); }
            });
        }

        /** Every read: -1 or a failure ends the connection; otherwise the next step. */
        CompletionHandler<Integer, Void> handler(IntConsumer next) {
            return new CompletionHandler<>() {
                @Override public void completed(Integer n, Void a) { if (n < 0) close(); else next.accept(n); }
                @Override public void failed(Throwable e, Void a) { close(); }
            };
        }

        void close() {
            try { channel.close(); } catch (IOException ignored) { }
        }
    }
}
// end::minimal-completion-handlers[]
