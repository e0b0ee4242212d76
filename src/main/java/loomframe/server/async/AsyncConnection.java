package loomframe.server.async;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousChannelGroup;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.AsynchronousSocketChannel;
import java.nio.channels.CompletionHandler;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import loomframe.server.AsyncFrameHandler;
import loomframe.server.CloseReason;
import loomframe.server.Payload;
import loomframe.server.core.AsyncTransport;
import loomframe.server.core.HandlerFailure;
import loomframe.server.core.ServedConnection;

/**
 * Serves one client with NIO.2 completion handlers: no thread is tied to the connection; each
 * step is started, and the next one runs on a channel-group thread when the kernel (or the budget,
 * or the handler) completes it.
 *
 * <pre>
 *   step(): FRAME -&gt; handle it, ask again       (an asynchronous handler: return; its stage resumes us)
 *           WRITE -&gt; writeReplies()  ... repliesWritten -&gt; step()
 *           READ  -&gt; readMore()      ... bytesRead      -&gt; step()
 *           AWAIT_BUDGET -&gt; awaitBudget() ... budgetGranted -&gt; step()
 *           END   -&gt; close(reason)
 *   any step --error, end of stream, idle deadline, shutdown--&gt; failed -&gt; close
 * </pre>
 *
 * <p>At most one thing is outstanding — a read, a write, a budget wait or a handler, never two —
 * so the steps never overlap and need no lock, and a client that does not read its replies stops
 * being read from.
 */
final class AsyncConnection extends ServedConnection {
    private static final ByteBuffer[] NOTHING = {ByteBuffer.allocateDirect(0)};

    private final AsynchronousSocketChannel channel;
    private final AsyncTransport transport;                // the channel itself, or TLS over it
    private final AsyncServer server;
    private AsyncFrameHandler asyncHandler;                // the handler's asynchronous form, if it has one
    private final ExecutorService handlerPool;             // where a blocking handler is offloaded, or null
    // Touched by the connection's completions and by other threads (sweeper, shutdown, a handler's
    // completion). Volatile fields set by compare-and-set through VarHandles rather than Atomic*
    // objects: 10,000 idle connections would otherwise carry 40,000 small objects more.
    private volatile CloseReason closedWith;               // set once (CLOSED_WITH): closing
    private volatile boolean memoryReleased;               // set once (RELEASED): memory given back
    private volatile boolean failing;                      // set once (FAILING): a completion and wake() may both report a failure
    private volatile boolean closeDone;                    // close() is done with the transport and the channel
    // Who has the connection while a handler works on a frame. The handler's completion takes it
    // back (PENDING -> NONE) or wake() takes it away to close it (PENDING -> ABANDONED), never both:
    // else a completion could go on writing while another thread gives its memory back.
    private volatile int handlerState;
    private static final int NONE = 0, PENDING = 1, ABANDONED = 2;
    private static final VarHandle CLOSED_WITH, RELEASED, FAILING, HANDLER_STATE;
    static {
        try {
            var lookup = MethodHandles.lookup();
            CLOSED_WITH = lookup.findVarHandle(AsyncConnection.class, "closedWith", CloseReason.class);
            RELEASED = lookup.findVarHandle(AsyncConnection.class, "memoryReleased", boolean.class);
            FAILING = lookup.findVarHandle(AsyncConnection.class, "failing", boolean.class);
            HANDLER_STATE = lookup.findVarHandle(AsyncConnection.class, "handlerState", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
    private volatile boolean waitingForBudget;
    private long backpressureSince;
    private long backpressureBytes;
    private CloseReason owedRepliesThenClose;              // a protocol error: the reason, once the owed replies are out

    // tag::async-handlers[]
    // One handler object per kind of completion for the whole server, with the connection as the
    // operation's attachment: an idle connection holds no handler objects of its own.
    // READ -> bytesRead, WRITE -> repliesWritten.
    private static final CompletionHandler<Long, AsyncConnection> ON_BYTES_READ = handler(AsyncConnection::bytesRead);
    private static final CompletionHandler<Long, AsyncConnection> ON_REPLIES_WRITTEN = handler(AsyncConnection::repliesWritten);
    private static final CompletionHandler<Long, AsyncConnection> ON_OWED_REPLIES_WRITTEN = new OwedReplies();
    // end::async-handlers[]

    AsyncConnection(AsynchronousSocketChannel channel, AsyncTransport transport, AsyncServer server, SocketAddress remote) {
        super(server, remote);
        this.channel = channel;
        this.transport = transport;
        this.server = server;
        this.handlerPool = server.handlerPool();
    }

    /** Opens the transport (a TLS handshake), then the handler, then takes the first step. */
    void start() {
        transport.open(new CompletionHandler<>() {          // once per connection: dropped once open
            @Override
            public void completed(Void unused, Void attachment) {
                try {
                    transportOpened();
                    openHandler();
                    asyncHandler = handler instanceof AsyncFrameHandler a ? a : null;
                } catch (Throwable e) {
                    fail(e);
                    return;
                }
                step();
            }

            @Override
            public void failed(Throwable e, Void attachment) {
                fail(e);
            }
        });
    }

    @Override
    public Optional<AsynchronousChannelGroup> channelGroup() {
        return Optional.of(server.group());
    }

    // tag::async-step[]
    /** Runs steps until one has to wait: then starts it and returns; its completion calls step() again. */
    private void step() {
        try {
            while (closedWith == null) {
                switch (flow.next()) {
                    case FRAME -> { if (!frameReceived(flow.payload())) return; }  // the handler has it: it resumes us
                    case WRITE -> { writeReplies(); return; }
                    case READ -> { readMore(); return; }
                    case AWAIT_BUDGET -> { awaitBudget(); return; }
                    case END -> { publishCounts(); close(flow.endReason()); return; }
                }
            }
        } catch (Throwable e) {
            fail(e);
        }
    }
    // end::async-step[]

    // tag::async-read[]
    /** READ: starts the read; {@link #bytesRead} runs when it completes. */
    private void readMore() {
        publishCounts();
        transport.read(flow.readBuffers(), flow.readOffset(), flow.readLength(), this, ON_BYTES_READ);
    }

    /** READ completed. */
    private void bytesRead(long n) throws IOException {
        bytesArrived(n);
        step();
    }
    // end::async-read[]

    // tag::async-frame[]
    /**
     * FRAME: runs the handler. With a handler pool ({@code --handler-threads}) its blocking form
     * runs there; else an asynchronous handler starts its work and returns a stage; else the
     * blocking form runs right here, on the group's thread, and must not block.
     *
     * @return true if the handler is done with the frame, false if it will resume us when it is
     */
    private boolean frameReceived(Payload payload) throws HandlerFailure {
        frameArrived(payload);
        CompletionStage<?> stage;
        try {
            if (handlerPool != null) {                       // --handler-threads: the blocking form, offloaded
                stage = CompletableFuture.runAsync(() -> handleBlocking(payload), handlerPool);
            } else if (asyncHandler != null) {
                stage = asyncHandler.handleAsync(payload, out);
            } else {
                handler.handle(payload, out);
                stage = null;
            }
        } catch (Throwable e) {
            throw new HandlerFailure(e);
        }
        if (stage == null || isDone(stage)) {
            if (stage != null) rethrowIfFailed(stage);
            frameHandled();
            return true;
        }
        publishCounts();
        handlerState = PENDING;
        stage.whenComplete((result, error) -> handlerCompleted(error));
        return false;
    }

    private void handleBlocking(Payload payload) {
        try {
            handler.handle(payload, out);
        } catch (Exception e) {
            throw new CompletionException(e);
        }
    }

    /**
     * The handler's stage completed, on whatever thread completed it (a timer, the handler pool, a
     * backend's completion). Nothing of this connection runs here: the replies are handed to the
     * channel with a write, which, issued from outside the group, only registers and then runs on
     * a group thread — with nothing to write, a write of nothing, for the same hop.
     */
    private void handlerCompleted(Throwable error) {
        if (!HANDLER_STATE.compareAndSet(this, PENDING, NONE)) {  // wake() closed us while the handler had the frame
            handlerState = NONE;
            releaseOnce();
            return;
        }
        if (error != null) {
            fail(new HandlerFailure(unwrap(error)));
            return;
        }
        frameHandled();
        try {
            if (out.isEmpty()) {
                channel.write(NOTHING, 0, 1, 0L, TimeUnit.MILLISECONDS, this, ON_REPLIES_WRITTEN);
            } else {
                writeReplies();
            }
        } catch (Throwable e) {
            fail(e);
        }
    }
    // end::async-frame[]

    // tag::async-write[]
    /** WRITE: one gathering write for the whole batch's replies. */
    private void writeReplies() {
        publishCounts();
        transport.write(out.buffers(), out.offset(), out.writeLength(), this, ON_REPLIES_WRITTEN);
    }

    /** WRITE completed, perhaps partly: write the rest, or go on. */
    private void repliesWritten(long n) {
        out.written(n);
        countWritten(n);
        if (!out.isEmpty()) {
            if (backpressureSince == 0) backpressureSince = System.nanoTime();   // the socket is full: backpressure
            backpressureBytes += n;
            writeReplies();
            return;
        }
        if (backpressureSince != 0) {
            backpressureEnded(backpressureSince, backpressureBytes + n);
            backpressureSince = 0;
            backpressureBytes = 0;
        }
        step();
    }
    // end::async-write[]

    // tag::async-await-budget[]
    /** AWAIT_BUDGET: nothing is pending; the grant hands us to the server's grant thread, which resumes us. */
    private void awaitBudget() {
        budgetWaitStarted();
        waitingForBudget = true;
        memory.await(() -> {                                 // runs on the thread that found the grant: only hand us on
            try {
                server.grants().execute(this::budgetGranted);
            } catch (RejectedExecutionException e) {         // the server is gone: nothing to resume
                close(CloseReason.SHUTDOWN);
            }
        });
        // Ended between waitingForBudget and joining the queue, wake() found nothing to cancel: do it now.
        if (endedBy() != null && memory.cancelWait()) fail(new AsynchronousCloseException());
    }

    /** On the grant thread: the next step is the read the grant was for, which only registers here. */
    private void budgetGranted() {
        waitingForBudget = false;
        budgetWaitEnded();
        step();
    }
    // end::async-await-budget[]

    // --- CLOSING ----------------------------------------------------------------------------

    /** Wraps one step so that whatever it throws, and whatever the kernel reports, ends in the connection's fail(). */
    private static <V> CompletionHandler<V, AsyncConnection> handler(Step<V> step) {
        return new CompletionHandler<>() {
            @Override
            public void completed(V result, AsyncConnection connection) {
                try {
                    step.run(connection, result);
                } catch (Throwable e) {
                    connection.fail(e);
                }
            }

            @Override
            public void failed(Throwable e, AsyncConnection connection) {
                connection.fail(e);
            }
        };
    }

    @FunctionalInterface
    private interface Step<V> {
        void run(AsyncConnection connection, V result) throws IOException;
    }

    // tag::async-failed[]
    /** Something failed: say why once, write the replies owed on a protocol error, then close. */
    private void fail(Throwable e) {
        if (closedWith != null || !FAILING.compareAndSet(this, false, true)) return;  // say why once
        publishCounts();
        CloseReason reason = failed(e);
        if (reason.isProtocolError() && !out.isEmpty()) {
            owedRepliesThenClose = reason;
            try {
                transport.write(out.buffers(), out.offset(), out.writeLength(), this, ON_OWED_REPLIES_WRITTEN);
                return;
            } catch (Throwable ignored) {                    // the write could not even start: close all the same
                // fall through
            }
        }
        close(reason);
    }
    // end::async-failed[]

    /** Replies owed for frames completed before a protocol error go out first, if the socket allows. */
    private static final class OwedReplies implements CompletionHandler<Long, AsyncConnection> {
        @Override
        public void completed(Long n, AsyncConnection c) {
            try {
                c.out.written(n);
                c.countWritten(n);
                if (!c.out.isEmpty()) {
                    c.transport.write(c.out.buffers(), c.out.offset(), c.out.writeLength(), c, this);
                    return;
                }
            } catch (Throwable e) {                          // the write could not even start: close all the same
                // fall through
            }
            c.close(c.owedRepliesThenClose);
        }

        @Override
        public void failed(Throwable e, AsyncConnection c) {
            c.close(c.owedRepliesThenClose);
        }
    }

    private void close(CloseReason reason) {
        if (!CLOSED_WITH.compareAndSet(this, null, reason)) return;
        transport.shutdown();
        closeChannel();
        closeDone = true;
        releaseOnce();
    }

    /**
     * Gives the connection's memory back, once, when both are over: the closing (which may run on
     * another thread, as may the handler's completion) and the handler's hold on a frame (it may be
     * reading it). Each side writes its own flag, then reads the other's, so the last one releases.
     */
    private void releaseOnce() {
        if (closeDone && handlerState == NONE && RELEASED.compareAndSet(this, false, true)) released(closedWith);
    }

    private void closeChannel() {
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    // tag::async-end[]
    @Override
    protected void wake(CloseReason why) {
        closeChannel();                                      // a pending read or write fails: fail() closes
        if ((waitingForBudget && memory.cancelWait()) || HANDLER_STATE.compareAndSet(this, PENDING, ABANDONED)) {
            fail(new AsynchronousCloseException());          // nothing pending to fail: close from here
        }
    }
    // end::async-end[]

    private static boolean isDone(CompletionStage<?> stage) {
        return stage instanceof CompletableFuture<?> f && f.isDone();
    }

    private static void rethrowIfFailed(CompletionStage<?> stage) throws HandlerFailure {
        var f = (CompletableFuture<?>) stage;
        if (f.isCompletedExceptionally()) {
            try {
                f.join();
            } catch (Throwable e) {
                throw new HandlerFailure(unwrap(e));
            }
        }
    }

    private static Throwable unwrap(Throwable e) {
        while ((e instanceof CompletionException || e instanceof ExecutionException)
                && e.getCause() != null) {
            e = e.getCause();
        }
        return e;
    }
}
