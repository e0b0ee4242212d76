package loomframe.server.core.tls;

import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousSocketChannel;
import java.nio.channels.CompletionHandler;
import java.util.concurrent.TimeUnit;
import loomframe.server.core.AsyncTransport;
import loomframe.tls.TlsEngine;

/**
 * TLS over completion handlers: a state machine interleaved with the connection's own. A read,
 * a write or the handshake is an operation of several steps — read ciphertext, unwrap, perhaps
 * write a key update's answer, read again — and no thread waits between them: each step starts an
 * I/O and returns, and the I/O's completion runs {@link #advance}, which asks the
 * {@link TlsEngine} what it needs next. The connection above sees one completion per operation,
 * as over plain TCP.
 *
 * <pre>
 *   open / read / write  -&gt; advance(): the engine needs
 *        ciphertext from the peer -&gt; channel.read(inbound)   ... ciphertextRead    -&gt; advance()
 *        ciphertext to the peer   -&gt; channel.write(outbound) ... ciphertextWritten -&gt; advance()
 *        nothing                  -&gt; the operation completes: the connection's handler runs
 * </pre>
 *
 * <p>One operation at a time (the connection never starts a read while it writes, nor the
 * reverse), so the engine and its buffers are touched by one step at a time; each step follows
 * the last through the channel's completion, which orders them.
 */
public final class AsyncTlsTransport implements AsyncTransport {
    private static final ByteBuffer[] NOTHING = {ByteBuffer.allocate(0)};

    private enum Op { NONE, OPEN, READ, WRITE }

    private final AsynchronousSocketChannel channel;
    private final TlsEngine tls;
    // The operation in progress, and whom to tell when it is done.
    private Op op = Op.NONE;
    private ByteBuffer[] buffers;
    private int offset;
    private int length;
    private long taken;                                    // WRITE: plaintext bytes wrapped
    private CompletionHandler<Void, Void> openDone;
    private CompletionHandler<Long, Object> done;
    private Object attachment;
    // A result ready without I/O waits here for the hop (see completeNow).
    private long readyResult;
    private Throwable readyError;

    public AsyncTlsTransport(AsynchronousSocketChannel channel, TlsEngine tls) {
        this.channel = channel;
        this.tls = tls;
    }

    @Override
    public void open(CompletionHandler<Void, Void> opened) {
        op = Op.OPEN;
        openDone = opened;
        advance(true);
    }

    @Override
    @SuppressWarnings("unchecked")
    public <A> void read(ByteBuffer[] dsts, int offset, int length, A attachment, CompletionHandler<Long, ? super A> handler) {
        start(Op.READ, dsts, offset, length, attachment, (CompletionHandler<Long, Object>) handler);
        advance(true);
    }

    @Override
    @SuppressWarnings("unchecked")
    public <A> void write(ByteBuffer[] srcs, int offset, int length, A attachment, CompletionHandler<Long, ? super A> handler) {
        start(Op.WRITE, srcs, offset, length, attachment, (CompletionHandler<Long, Object>) handler);
        try {
            taken = tls.wrap(srcs, offset, length);
        } catch (Throwable e) {
            finish(0, e, true);
            return;
        }
        advance(true);
    }

    private void start(Op what, ByteBuffer[] bs, int off, int len, Object att, CompletionHandler<Long, Object> handler) {
        op = what;
        buffers = bs;
        offset = off;
        length = len;
        attachment = att;
        done = handler;
    }

    // tag::async-tls[]
    /**
     * The next step of the operation in progress: start the I/O the engine needs and return, or
     * finish the operation. {@code fromCaller}: called from open/read/write itself, not from a
     * completion.
     */
    private void advance(boolean fromCaller) {
        try {
            switch (op) {
                case OPEN -> {
                    switch (tls.handshake()) {
                        case READ -> receive();
                        case WRITE -> send();
                        case DONE -> finish(0, null, fromCaller);
                    }
                }
                case READ -> {
                    long n = tls.unwrap(buffers, offset, length);
                    if (n != 0) finish(n, null, fromCaller);        // plaintext, or -1: the peer closed
                    else if (tls.need() == TlsEngine.Next.WRITE) send();
                    else receive();
                }
                case WRITE -> {
                    if (tls.hasOutbound()) send(); else finish(taken, null, fromCaller);
                }
                case NONE -> throw new IllegalStateException("no TLS operation in progress");
            }
        } catch (Throwable e) {
            finish(0, e, fromCaller);
        }
    }

    private void receive() {
        channel.read(tls.inbound(), 0L, TimeUnit.MILLISECONDS, null, onCiphertextRead);
    }

    private void send() {
        channel.write(tls.outbound(), 0L, TimeUnit.MILLISECONDS, null, onCiphertextWritten);
    }

    private final CompletionHandler<Integer, Void> onCiphertextRead = new CompletionHandler<>() {
        @Override
        public void completed(Integer n, Void unused) {
            if (n < 0) tls.endOfInput();
            advance(false);
        }

        @Override
        public void failed(Throwable e, Void unused) {
            finish(0, e, false);
        }
    };

    private final CompletionHandler<Integer, Void> onCiphertextWritten = new CompletionHandler<>() {
        @Override
        public void completed(Integer n, Void unused) {
            if (!tls.hasOutbound()) tls.sent();
            advance(false);
        }

        @Override
        public void failed(Throwable e, Void unused) {
            finish(0, e, false);
        }
    };
    // end::async-tls[]

    /**
     * The operation is over: tell the connection. From a completion that is a direct call. From
     * the caller's own stack (the plaintext was there already) it would be a call back into the
     * connection from inside its own call, and frame after frame the stack would grow; so the
     * result goes through a write of nothing instead, whose completion the JDK runs directly while
     * the stack is shallow, else on a group thread — as it does for a read that finds bytes waiting.
     */
    private void finish(long result, Throwable error, boolean fromCaller) {
        if (fromCaller) {
            readyResult = result;
            readyError = error;
            try {
                channel.write(NOTHING, 0, 1, 0L, TimeUnit.MILLISECONDS, null, onReady);
            } catch (RuntimeException e) {                     // closed, or the group is shutting down
                readyError = error != null ? error : e;
                deliver();
            }
            return;
        }
        readyResult = result;
        readyError = error;
        deliver();
    }

    private final CompletionHandler<Long, Void> onReady = new CompletionHandler<>() {
        @Override
        public void completed(Long ignored, Void unused) {
            deliver();
        }

        @Override
        public void failed(Throwable e, Void unused) {
            if (readyError == null) readyError = e;
            deliver();
        }
    };

    /** Hands the result to whoever started the operation; the next one may start from inside. */
    private void deliver() {
        Op was = op;
        long result = readyResult;
        Throwable error = readyError;
        CompletionHandler<Void, Void> opened = openDone;
        CompletionHandler<Long, Object> handler = done;
        Object att = attachment;
        op = Op.NONE;
        buffers = null;
        done = null;
        openDone = null;
        attachment = null;
        readyError = null;
        if (was == Op.OPEN) {
            if (error == null) opened.completed(null, null); else opened.failed(error, null);
        } else if (handler != null) {
            if (error == null) handler.completed(result, att); else handler.failed(error, att);
        }
    }

    /** close_notify, if nothing else is in flight: one write, not waited for; the buffers go back. */
    @Override
    public void shutdown() {
        try {
            ByteBuffer closeNotify = op == Op.NONE && channel.isOpen() ? tls.closeNotify() : null;
            if (closeNotify != null) channel.write(closeNotify, null, IGNORE);   // tried at once: usually sent before the close
        } catch (RuntimeException ignored) {
            // closing anyway
        } finally {
            if (op == Op.NONE) tls.release();                  // else the operation's failure comes back first
        }
    }

    private static final CompletionHandler<Integer, Void> IGNORE = new CompletionHandler<>() {
        @Override public void completed(Integer n, Void unused) {}
        @Override public void failed(Throwable e, Void unused) {}
    };
}
