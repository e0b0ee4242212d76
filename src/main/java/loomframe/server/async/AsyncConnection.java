package loomframe.server.async;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousSocketChannel;
import java.nio.channels.CompletionHandler;
import java.util.concurrent.atomic.AtomicBoolean;
import loomframe.frame.FrameDecoder;
import loomframe.frame.FrameException;
import loomframe.frame.IdleTimeoutException;
import loomframe.server.BufferBudget;
import loomframe.server.BufferPool;
import loomframe.server.FrameHandler;
import loomframe.server.ReplyQueue;
import loomframe.server.ServedConnection;

/**
 * Serves one client with NIO.2 completion handlers: no thread is tied to the connection; each
 * step runs on a pool thread when the kernel completes the previous one.
 *
 * <pre>
 *   READING --bytesRead--> (decode every complete frame, call the handler) --replies?--> WRITING
 *      ^                                                        | none                    |
 *      +--------------------------------------------------------+<----repliesWritten------+
 *   any step --error, end of stream, idle deadline, shutdown--> CLOSING
 * </pre>
 *
 * <p>At most one operation is outstanding — a read or a write, never both — so the steps never
 * overlap and need no lock, and a client that does not read its replies stops being read from:
 * the replies it is owed are bounded by one batch.
 *
 * <p>Like the blocking {@code FrameReader}, it chooses what to read into each time: after a read
 * that filled its buffer (more is probably waiting) a pooled 64 KiB batch buffer; inside a frame's
 * body the decoder's body buffer; between frames the decoder's length field itself, so an idle
 * connection's pending read holds no read buffer at all.
 */
final class AsyncConnection extends ServedConnection {
    /** Most bytes one read may put into a body buffer: bounds the JDK's temporary native copy. */
    private static final int BODY_READ_CHUNK = 256 * 1024;

    private final AsynchronousSocketChannel channel;
    private final AsyncServer server;
    private final FrameHandler handler;
    private final BufferBudget.Account memory;
    private final FrameDecoder decoder;
    private final ReplyQueue out;
    private final BufferPool pool;

    private ByteBuffer reading;            // what the pending read fills
    private ByteBuffer batch;              // pooled; held until the replies that may view it are written
    private boolean lastReadFilled;        // the last read filled its buffer: more is probably waiting

    private volatile boolean waitingForBudget;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicBoolean failedOnce = new AtomicBoolean();  // a budget grant and wake() may both fail us

    // tag::async-handlers[]
    // READING -> (decode every complete frame) -> WRITING -> READING ... -> CLOSING
    private final CompletionHandler<Integer, Void> onBytesRead = handler(this::bytesRead);
    private final CompletionHandler<Long, Void> onRepliesWritten = handler(this::repliesWritten);
    // end::async-handlers[]

    AsyncConnection(AsynchronousSocketChannel channel, AsyncServer server, SocketAddress remote) {
        super(server.nextDeadline(), remote, server.log());
        this.channel = channel;
        this.server = server;
        this.handler = server.config().handler();
        this.memory = server.budget().open();
        this.decoder = new FrameDecoder(server.config().format(), memory, server.arrays());
        this.out = new ReplyQueue(server.config().format());
        this.pool = server.pool();
    }

    void start() {
        readMore();
    }

    // tag::async-read-more[]
    /** READING: issue the next read, into whatever costs least while it is pending. */
    private void readMore() {
        if (!decoder.inFrame() && !mayWaitBetweenFrames()) { // shutdown, nothing half-read
            close("shutdown", null);
            return;
        }
        if (lastReadFilled && decoder.bodyRemaining() < BufferPool.BATCH_SIZE) {
            batch = pool.take();                             // more is probably waiting: take it all
            batch.limit(server.budget().batchReadLimit(batch.capacity()));
            reading = batch;
        } else {
            reading = decoder.window(BODY_READ_CHUNK);       // straight into the length field or body
            if (reading == null) {                           // body must grow, budget exhausted
                waitingForBudget = true;
                memory.await(this::budgetGranted);
                return;
            }
        }
        channel.read(reading, null, onBytesRead);
    }
    // end::async-read-more[]

    private void budgetGranted() {
        waitingForBudget = false;
        if (endedBy() != null) close(endedBy(), null); else readMore();
    }

    // tag::async-bytes-read[]
    /** READING completed: decode every complete frame, then write their replies together. */
    private void bytesRead(int count) throws IOException {
        stoppedWaitingBetweenFrames();
        if (count < 0) {
            decoder.endOfStream();                           // throws if a frame was cut short
            close("eof", null);
            return;
        }
        server.stats().bytesReceived(count);
        lastReadFilled = !reading.hasRemaining();
        if (reading == batch) {
            batch.flip();
            for (ByteBuffer payload; (payload = decoder.next(batch)) != null; ) {
                frameReceived(payload);                      // many frames per read
            }
        } else {
            ByteBuffer payload = decoder.filled(count);
            if (payload != null) frameReceived(payload);
        }
        if (out.isEmpty()) {
            releaseBatch();
            decoder.payloadsDone();
            readMore();
        } else {
            writeReplies();                                  // reading resumes once they are written
        }
    }
    // end::async-bytes-read[]

    private void frameReceived(ByteBuffer payload) throws IOException {
        restartDeadline(server.nextDeadline());              // the idle clock restarts per frame
        server.stats().frameReceived();
        handler.handle(payload, out);
    }

    // tag::async-write[]
    /** WRITING: one gathering write for the whole batch's replies. */
    private void writeReplies() {
        channel.write(out.buffers(), out.offset(), out.window(), 0L, java.util.concurrent.TimeUnit.MILLISECONDS,
                null, onRepliesWritten);
    }

    /** WRITING completed, perhaps partly: write the rest, or go back to reading. */
    private void repliesWritten(long count) {
        out.written(count);
        server.stats().bytesSent(count);
        if (!out.isEmpty()) {
            writeReplies();
            return;
        }
        releaseBatch();
        decoder.payloadsDone();                              // their memory goes back to the budget now
        readMore();
    }
    // end::async-write[]

    private void releaseBatch() {
        if (batch != null && !batch.hasRemaining()) {        // its partial tail, if any, is in the decoder now
            pool.give(batch);
            batch = null;
        }
    }

    // --- CLOSING ----------------------------------------------------------------------------

    /** Wraps one step so that whatever it throws, and whatever the kernel reports, ends in close(). */
    private <V> CompletionHandler<V, Void> handler(Step<V> step) {
        return new CompletionHandler<>() {
            @Override
            public void completed(V result, Void attachment) {
                try {
                    step.run(result);
                } catch (Throwable e) {
                    failed(e, attachment);
                }
            }

            @Override
            public void failed(Throwable e, Void attachment) {
                AsyncConnection.this.failed(e);
            }
        };
    }

    @FunctionalInterface
    private interface Step<V> {
        void run(V result) throws IOException;
    }

    // tag::async-failed[]
    private void failed(Throwable e) {
        if (!failedOnce.compareAndSet(false, true) || closed.get()) return;  // count and log each connection once
        if (e instanceof FrameException fe) {                // the peer broke the protocol: say what, close
            server.stats().connectionFailed();
            log(Level.WARNING, fe.reason(), peer() + " closed: " + fe.getMessage(), null);
            writeOwedRepliesThenClose(fe.reason());
        } else if ("idle".equals(endedBy())) {                 // the sweeper closed us
            server.stats().connectionFailed();
            var timeout = new IdleTimeoutException(server.config().idleTimeout(), decoder.progress() + out.describeUnsent());
            log(Level.WARNING, timeout.reason(), peer() + " closed: " + timeout.getMessage(), null);
            close("idle", null);
        } else if (endedBy() != null) {                      // shutdown closed us
            close(endedBy(), null);
        } else if (e instanceof IOException) {               // reset, broken pipe: routine
            server.stats().connectionFailed();
            log(Level.DEBUG, "reset", peer() + " gone: " + e, e);
            close("reset", null);
        } else {                                             // a handler bug: this connection only
            server.stats().connectionFailed();
            log(Level.WARNING, "handler-error", peer() + " closed: handler failed: " + e, e);
            close("handler-error", null);
        }
    }
    // end::async-failed[]

    /** Replies owed for frames completed before a protocol error go out first, if the socket allows. */
    private void writeOwedRepliesThenClose(String reason) {
        if (out.isEmpty()) {
            close(reason, null);
            return;
        }
        channel.write(out.buffers(), out.offset(), out.window(), 0L, java.util.concurrent.TimeUnit.MILLISECONDS, null,
                new CompletionHandler<Long, Void>() {
                    @Override
                    public void completed(Long n, Void a) {
                        out.written(n);
                        server.stats().bytesSent(n);
                        if (out.isEmpty()) close(reason, null); else writeOwedRepliesThenClose(reason);
                    }

                    @Override
                    public void failed(Throwable e, Void a) {
                        close(reason, null);
                    }
                });
    }

    private void close(String reason, Throwable ignored) {
        if (!closed.compareAndSet(false, true)) return;
        if ("eof".equals(reason) || "shutdown".equals(reason)) {
            log(Level.DEBUG, "closed", peer() + " closed: " + ("eof".equals(reason) ? "end of stream" : "server shutting down"), null);
        }
        try {
            channel.close();
        } catch (IOException e) {
            // closing anyway
        }
        decoder.release();
        out.clear();
        memory.close();
        batch = null;                                        // a read may still complete into it: leave it to the GC
        server.ended(this, reason);
    }

    // tag::async-end[]
    @Override
    protected void wake(String why) {
        try {
            channel.close();                                 // the pending read or write fails: failed() closes
        } catch (IOException ignored) {
            // closing anyway
        }
        if (waitingForBudget) {                              // nothing pending to fail: close from here
            if ("idle".equals(why)) failed(new IOException("idle")); else close(why, null);
        }
    }
    // end::async-end[]
}
