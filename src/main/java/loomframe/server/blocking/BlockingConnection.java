package loomframe.server.blocking;

import java.io.IOException;
import java.net.SocketAddress;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SocketChannel;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import loomframe.server.CloseReason;
import loomframe.server.Payload;
import loomframe.server.core.BlockingTransport;
import loomframe.server.core.HandlerFailure;
import loomframe.server.core.ServedConnection;

/**
 * Serves one client from accept to close. Runs on its own thread — a virtual thread for
 * {@code --impl blocking}, a platform thread for {@code --impl platform}; the code is the same —
 * and every step simply blocks: the read, the write, the handler, a wait for the budget.
 *
 * <p>Other threads touch a connection only to end it: the idle sweeper ({@link #expire}) and
 * shutdown ({@link #drain}, {@link #abort}) say why in {@link #endedBy}, then close the channel,
 * which wakes this thread out of its blocking read or write with an exception.
 */
final class BlockingConnection extends ServedConnection implements Runnable {
    /** A write that takes this long waited for the socket to drain: the peer reads slower than it sends. */
    private static final long BACKPRESSURE_NANOS = 1_000_000L;
    private final SocketChannel channel;
    private final BlockingTransport transport;             // the channel itself, or TLS over it
    private volatile Thread thread;

    BlockingConnection(SocketChannel channel, BlockingTransport transport, BlockingServer server, SocketAddress remote) {
        super(server, remote);
        this.channel = channel;
        this.transport = transport;
    }

    // tag::blocking-connection[]
    /** The connection's whole life: serve frames until the end, then close, whatever happened. */
    @Override
    public void run() {
        thread = Thread.currentThread();
        CloseReason reason = CloseReason.INTERNAL_ERROR;
        try {
            transport.open();
            transportOpened();
            openHandler();
            reason = serve();
        } catch (Throwable e) {                              // say why once, then close
            reason = failed(e);
            if (reason.isProtocolError()) writeOwedReplies(); // replies for earlier frames still go first
        } finally {
            publishCounts();
            transport.shutdown();
            closeChannel();
            released(reason);
        }
    }

    /** Frames in, replies out, one step at a time: each step blocks until it is done. */
    private CloseReason serve() throws Exception {
        while (true) {
            switch (flow.next()) {
                case FRAME -> frameReceived(flow.payload());
                case WRITE -> writeReplies();
                case READ -> readMore();
                case AWAIT_BUDGET -> awaitBudget();
                case END -> { return flow.endReason(); }
            }
        }
    }
    // end::blocking-connection[]

    // tag::blocking-read[]
    /** READ: blocks until bytes arrive (parks the virtual thread; its carrier serves others meanwhile). */
    private void readMore() throws IOException {
        // A busy connection has just written its replies, so its peer's next frame is on its way but
        // rarely here yet: reading now would fail (EAGAIN) and park, which costs a re-armed poll
        // (epoll_ctl), a wake-up and a hand-off to a carrier. Letting the other connections go first
        // gives it time to arrive, and fewer reads come back empty (jmh/profile-syscalls.sh counts them).
        // On a platform thread it is a sched_yield, and it pays there too: without it, platform
        // served about a quarter fewer frames in the 100-connection echo cases (measured at 4ad28da).
        publishCounts();
        if (flow.busyBetweenFrames()) Thread.yield();
        bytesArrived(transport.read(flow.readBuffers(), flow.readOffset(), flow.readLength()));
    }
    // end::blocking-read[]

    // tag::blocking-frame[]
    /** FRAME: the handler runs right here, and may block as long as it likes. */
    private void frameReceived(Payload payload) throws HandlerFailure {
        frameArrived(payload);
        try {
            handler.handle(payload, out);
        } catch (Throwable e) {
            throw new HandlerFailure(e);
        }
        frameHandled();
    }
    // end::blocking-frame[]

    // tag::blocking-write[]
    /** WRITE: one gathering write for the whole batch of replies; blocks while the peer is slow to read. */
    private void writeReplies() throws IOException {
        publishCounts();
        long start = System.nanoTime();
        long total = 0;
        while (!out.isEmpty()) {
            long n = transport.write(out.buffers(), out.offset(), out.writeLength());
            out.written(n);
            total += n;
            countWritten(n);
        }
        // A blocking write returns once everything is out; one that waited for the peer to read is backpressure.
        if (System.nanoTime() - start >= BACKPRESSURE_NANOS) backpressureEnded(start, total);
    }
    // end::blocking-write[]

    /** Replies owed for frames completed before a protocol error, if the socket still takes them. */
    private void writeOwedReplies() {
        try {
            writeReplies();
        } catch (IOException ignored) {
            // the socket no longer allows it: nothing more to do for this peer
        }
    }

    // tag::blocking-await-budget[]
    /** AWAIT_BUDGET: park until the budget reserves room, or until another thread ends this connection. */
    private void awaitBudget() throws IOException {
        budgetWaitStarted();
        Thread me = Thread.currentThread();
        var granted = new AtomicBoolean();
        memory.await(() -> {                                 // runs on the thread that found the grant: only wake us
            granted.set(true);
            LockSupport.unpark(me);
        });
        while (!granted.get()) {
            if (endedBy() != null && memory.cancelWait()) throw new ClosedChannelException();
            LockSupport.park(this);                          // expire/abort unpark us after closing the channel
        }
        budgetWaitEnded();
    }
    // end::blocking-await-budget[]

    private void closeChannel() {
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    // tag::blocking-end[]
    @Override
    protected void wake(CloseReason why) {
        closeChannel();                                      // wakes the thread out of read or write
        Thread t = thread;
        if (t != null) LockSupport.unpark(t);                // or out of a budget wait
    }
    // end::blocking-end[]
}
