package loomframe.handlers;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousSocketChannel;
import java.nio.channels.Channel;
import java.nio.channels.CompletionHandler;
import java.nio.channels.InterruptedByTimeoutException;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import loomframe.frame.FrameDecoder;
import loomframe.frame.FrameFormat;
import loomframe.server.AsyncFrameHandler;
import loomframe.server.BackendException;
import loomframe.server.FrameHandler;
import loomframe.server.HandlerContext;
import loomframe.server.Impl;
import loomframe.server.Payload;
import loomframe.server.Replies;

/**
 * {@code --handler forward:HOST:PORT}: relays each frame to a backend framing server over a
 * connection of its own per client connection, and replies with the backend's reply — the call a
 * real handler makes to a database or another service, written both ways:
 * <ul>
 *   <li><b>blocking</b> ({@link Blocking}): write the frame, read the reply, return. The thread
 *       waits in the read; it is a virtual thread, so nothing else does;</li>
 *   <li><b>asynchronous</b> ({@link Async}): the same three steps as a chain of completion
 *       handlers on the async server's own channel group — connect, write the request, read the
 *       reply — each started by the one before, the result handed back through a stage.</li>
 * </ul>
 * A backend that cannot be reached, closes, resets or stalls past {@code --idle-timeout} fails the
 * frame with a {@link BackendException}: the client connection is closed (counted as
 * {@code backend}, with one log line naming client, backend and what happened) and the server goes
 * on; the next client connects anew, so service resumes as soon as the backend is back.
 *
 * <p>One frame is in flight per client connection, so a slow backend stops the server reading
 * from its client: backpressure all the way. A reply is held on the heap in pieces of at most
 * {@value #PIECE} bytes (never one large array) until it is written to the client.
 */
public final class ForwardHandler implements FrameHandler {
    static final int PIECE = 64 * 1024;
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);

    private final InetSocketAddress backend;
    private final FrameFormat format;

    public ForwardHandler(InetSocketAddress backend, FrameFormat format) {
        this.backend = backend;
        this.format = format;
    }

    public InetSocketAddress backend() {
        return backend;
    }

    /** A backend connection for each client connection, of the kind its server waits in. */
    @Override
    public FrameHandler open(HandlerContext connection) {
        InetSocketAddress resolved = backend.isUnresolved() ? new InetSocketAddress(backend.getHostString(), backend.getPort()) : backend;
        return connection.impl() == Impl.ASYNC ? new Async(resolved, format, connection) : new Blocking(resolved, format, connection);
    }

    @Override
    public void handle(Payload payload, Replies replies) {
        throw new IllegalStateException("forward: each connection needs its own backend connection; open() one");
    }

    @Override
    public String toString() {
        String host = backend.getHostString();
        return "forward:" + (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + backend.getPort();
    }

    /** The request: its length field (in {@code header}, reused frame after frame) and the payload's own parts, for one gathering write. */
    private static ByteBuffer[] request(FrameFormat format, ByteBuffer header, Payload payload) {
        ByteBuffer[] request = new ByteBuffer[1 + payload.partCount()];
        format.encodeHeader(payload.size(), header.clear());
        request[0] = header.flip();
        for (int i = 0; i < payload.partCount(); i++) request[1 + i] = payload.part(i);
        return request;
    }

    private static long remaining(ByteBuffer[] buffers) {
        long n = 0;
        for (ByteBuffer b : buffers) n += b.remaining();
        return n;
    }

    // --- blocking ------------------------------------------------------------------------------

    /** The blocking form: each step blocks the connection's own thread. */
    static final class Blocking implements FrameHandler {
        private final InetSocketAddress backend;
        private final FrameFormat format;
        private final int timeoutMillis;
        private final FrameDecoder decoder;
        private final byte[] header;
        private final ByteBuffer requestHeader;
        private SocketChannel channel;
        private InputStream in;

        Blocking(InetSocketAddress backend, FrameFormat format, HandlerContext connection) {
            this.backend = backend;
            this.format = format;
            this.timeoutMillis = (int) Math.min(Integer.MAX_VALUE, connection.idleTimeout().toMillis());
            this.decoder = new FrameDecoder(format);
            this.header = new byte[format.headerLength()];
            this.requestHeader = ByteBuffer.allocateDirect(format.headerLength());
        }

        // tag::forward-blocking[]
        @Override
        public void handle(Payload payload, Replies replies) throws BackendException {
            try {
                if (channel == null) connect();
                ByteBuffer[] request = request(format, requestHeader, payload);
                while (remaining(request) > 0) channel.write(request);        // the whole frame, as it came
                replies.reply(readReply());                                   // blocks until the backend answers
            } catch (SocketTimeoutException e) {
                throw new BackendException(backend, "stalled past --idle-timeout " + timeoutMillis + "ms", null);
            } catch (ConnectException e) {
                throw new BackendException(backend, "unreachable", e);
            } catch (IOException e) {
                throw new BackendException(backend, "failed", e);
            }
        }
        // end::forward-blocking[]

        private void connect() throws IOException {
            channel = SocketChannel.open();
            channel.socket().connect(backend, (int) CONNECT_TIMEOUT.toMillis());
            channel.socket().setTcpNoDelay(true);
            channel.socket().setSoTimeout(timeoutMillis);                    // bounds every read of a reply
            in = channel.socket().getInputStream();
        }

        private Payload readReply() throws IOException {
            decoder.reset();
            while (decoder.state() == FrameDecoder.State.HEADER) {
                int n = in.read(header, 0, format.headerLength() - decoder.headerFilled());
                if (n < 0) throw new EOFException("closed the connection");
                decoder.takeHeader(ByteBuffer.wrap(header, 0, n));
            }
            List<ByteBuffer> pieces = new ArrayList<>();
            boolean complete = decoder.bodyNeeded() == 0 && decoder.takeBody(0);   // a zero-length reply
            while (!complete) {
                byte[] piece = new byte[Math.min(PIECE, decoder.bodyNeeded())];
                for (int at = 0; at < piece.length; ) {
                    int n = in.read(piece, at, piece.length - at);
                    if (n < 0) throw new EOFException("closed the connection in the middle of a reply (" + decoder.progress() + ")");
                    at += n;
                    complete = decoder.takeBody(n);
                }
                pieces.add(ByteBuffer.wrap(piece));
            }
            return Payload.of(pieces.toArray(ByteBuffer[]::new));
        }

        @Override
        public void close() {
            closeBackend(channel);
        }
    }

    /** Closes a backend connection, if one was opened: it goes away with its client's. */
    private static void closeBackend(Channel channel) {
        if (channel == null) return;
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    // --- asynchronous --------------------------------------------------------------------------

    /**
     * The asynchronous form: connect, write the request, read the reply — each a completion
     * handler on the async server's channel group that starts the next, the frame's stage
     * completed at the end (or failed with a {@link BackendException}).
     */
    static final class Async implements AsyncFrameHandler {
        private final InetSocketAddress backend;
        private final FrameFormat format;
        private final HandlerContext connection;
        private final long timeoutMillis;
        private final FrameDecoder decoder;
        private final ByteBuffer header;
        private final ByteBuffer requestHeader;
        private AsynchronousSocketChannel channel;
        private boolean connected;
        // The frame in flight: one at a time per connection.
        private ByteBuffer[] request;
        private Replies replies;
        private CompletableFuture<Void> replied;
        private final List<ByteBuffer> pieces = new ArrayList<>();
        private ByteBuffer piece;

        Async(InetSocketAddress backend, FrameFormat format, HandlerContext connection) {
            this.backend = backend;
            this.format = format;
            this.connection = connection;
            this.timeoutMillis = connection.idleTimeout().toMillis();
            this.decoder = new FrameDecoder(format);
            this.header = ByteBuffer.allocateDirect(format.headerLength());
            this.requestHeader = ByteBuffer.allocateDirect(format.headerLength());
        }

        // tag::forward-async[]
        @Override
        public CompletionStage<?> handleAsync(Payload payload, Replies replies) {
            this.replied = new CompletableFuture<>();
            this.replies = replies;
            this.request = request(format, requestHeader, payload);
            try {
                if (connected) {
                    writeRequest();
                } else {
                    channel = AsynchronousSocketChannel.open(connection.channelGroup().orElse(null));
                    channel.connect(backend, null, onConnected);
                }
            } catch (IOException | RuntimeException e) {
                backendFailed(e, "unreachable");
            }
            return replied;                                  // completes in onReplyRead, or fails
        }

        private final CompletionHandler<Void, Void> onConnected = new Step<>("unreachable") {
            @Override
            public void completed(Void unused, Void a) {
                connected = true;
                writeRequest();
            }
        };

        private void writeRequest() {
            channel.write(request, 0, request.length, timeoutMillis, TimeUnit.MILLISECONDS, null, onRequestWritten);
        }

        private final CompletionHandler<Long, Void> onRequestWritten = new Step<>("failed") {
            @Override
            public void completed(Long n, Void a) {
                if (remaining(request) > 0) writeRequest(); else readReply();
            }
        };

        private void readReply() {
            decoder.reset();
            pieces.clear();
            piece = null;
            readMore();
        }

        private void readMore() {
            ByteBuffer into;
            if (decoder.state() == FrameDecoder.State.HEADER) {
                into = header.clear().limit(format.headerLength() - decoder.headerFilled());
            } else {
                if (piece == null) piece = ByteBuffer.allocate(Math.min(PIECE, decoder.bodyNeeded()));
                into = piece;                                // continues a piece a short read left unfilled
            }
            channel.read(into, timeoutMillis, TimeUnit.MILLISECONDS, null, onReplyRead);
        }

        private final CompletionHandler<Integer, Void> onReplyRead = new Step<>("failed") {
            @Override
            public void completed(Integer n, Void a) {
                if (n < 0) {
                    backendFailed(new EOFException("closed the connection" + (decoder.inFrame() ? " in the middle of a reply" : "")), "failed");
                    return;
                }
                try {
                    if (decoder.state() == FrameDecoder.State.HEADER) {
                        decoder.takeHeader(header.flip());
                    } else {
                        decoder.takeBody(n);
                        if (!piece.hasRemaining()) {
                            pieces.add(piece.flip());
                            piece = null;
                        }
                    }
                } catch (IOException e) {
                    backendFailed(e, "sent a bad length field");
                    return;
                }
                if (decoder.state() == FrameDecoder.State.BODY && decoder.bodyNeeded() > 0) {
                    readMore();
                } else if (decoder.state() == FrameDecoder.State.HEADER && decoder.headerFilled() > 0) {
                    readMore();                              // the length field was cut
                } else {
                    if (decoder.state() == FrameDecoder.State.BODY) decoder.takeBody(0);
                    replies.reply(Payload.of(pieces.toArray(ByteBuffer[]::new)));
                    replied.complete(null);                  // the connection carries on from here
                }
            }
        };
        // end::forward-async[]

        /** Every step fails the same way: the frame's stage, with what the backend did. */
        private abstract class Step<V> implements CompletionHandler<V, Void> {
            private final String what;

            Step(String what) {
                this.what = what;
            }

            @Override
            public void failed(Throwable e, Void a) {
                backendFailed(e, what);
            }
        }

        private void backendFailed(Throwable e, String what) {
            String how = e instanceof InterruptedByTimeoutException
                    ? "stalled past --idle-timeout " + timeoutMillis + "ms" : what;
            replied.completeExceptionally(new BackendException(backend, how, e instanceof InterruptedByTimeoutException ? null : e));
        }

        @Override
        public void close() {
            closeBackend(channel);
        }
    }
}
