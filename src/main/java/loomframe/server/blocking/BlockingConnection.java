package loomframe.server.blocking;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SocketChannel;
import java.util.concurrent.locks.LockSupport;
import loomframe.frame.FrameDecoder;
import loomframe.frame.FrameException;
import loomframe.frame.IdleTimeoutException;
import loomframe.server.BufferBudget;
import loomframe.server.FrameHandler;
import loomframe.server.ReplyQueue;
import loomframe.server.ServedConnection;

/**
 * Serves one client from accept to close. Runs on its own thread — a virtual thread for
 * {@code --impl blocking}, a platform thread for {@code --impl platform}; the code is the same.
 *
 * <p>Other threads touch a connection only to end it: the idle sweeper ({@link #expire}) and
 * shutdown ({@link #drain}, {@link #abort}) say why in {@link #endedBy}, then close the channel,
 * which wakes this thread out of its blocking read or write with an exception.
 */
final class BlockingConnection extends ServedConnection implements Runnable {
    private final SocketChannel channel;
    private final BlockingServer server;
    private final FrameHandler handler;
    private final BufferBudget.Account memory;
    private final FrameReader in;
    private final ReplyQueue out;
    private volatile Thread thread;

    BlockingConnection(SocketChannel channel, BlockingServer server, SocketAddress remote) {
        super(server.nextDeadline(), remote, server.log());
        this.channel = channel;
        this.server = server;
        this.handler = server.config().handler();
        this.memory = server.budget().open();
        this.in = new FrameReader(channel, new FrameDecoder(server.config().format(), memory, server.arrays()),
                server.pool(), server.budget(), this::awaitBudget);
        this.out = new ReplyQueue(server.config().format());
    }

    // tag::blocking-connection[]
    @Override
    public void run() {
        thread = Thread.currentThread();
        String reason = "eof";
        try {                                                // not try-with-resources: the catch clauses still write
            while (true) {
                ByteBuffer payload = in.next(boundary);      // blocks; null: clean end of stream
                if (payload == null) break;
                restartDeadline(server.nextDeadline());      // the idle clock restarts per frame
                server.stats().frameReceived();
                handler.handle(payload, out);
                if (!in.hasBufferedFrame() || out.pendingBytes() >= server.config().maxPendingReplies()) {
                    flush();                                 // one write per batch, not per frame
                }
            }
            flush();
            reason = draining() ? "shutdown" : "eof";
            log(Level.DEBUG, "closed", peer() + " closed: " + (draining() ? "server shutting down" : "end of stream"), null);
        } catch (FrameException e) {                         // the peer broke the protocol: say what, close
            reason = e.reason();
            flushQuietly();                                  // replies owed for earlier frames go first
            failed(e);
        } catch (IOException e) {                            // closed by us (idle, shutdown) or by the peer
            reason = endedBy() != null ? endedBy() : "reset";
            if ("idle".equals(endedBy())) {
                failed(new IdleTimeoutException(server.config().idleTimeout(), in.progress() + out.describeUnsent()));
            } else if (endedBy() == null) {
                server.stats().connectionFailed();
                log(Level.DEBUG, "reset", peer() + " gone: " + e, e);
            }
        } catch (RuntimeException e) {                       // a handler bug: this connection only
            reason = "handler-error";
            server.stats().connectionFailed();
            log(Level.WARNING, "handler-error", peer() + " closed: handler failed: " + e, e);
        } finally {
            closeChannel();
            server.stats().bytesReceived(in.takeBytesRead());
            in.release();
            out.clear();
            memory.close();
            server.ended(this, reason);
        }
    }
    // end::blocking-connection[]

    private void flush() throws IOException {
        if (!out.isEmpty()) server.stats().bytesSent(out.writeTo(channel));
        in.payloadsDone();                                   // their memory goes back to the budget now
        server.stats().bytesReceived(in.takeBytesRead());
    }

    private void flushQuietly() {
        try {
            flush();
        } catch (IOException ignored) {
            // the socket no longer allows it: nothing more to do for this peer
        }
    }

    private void failed(FrameException e) {
        server.stats().connectionFailed();
        log(Level.WARNING, e.reason(), peer() + " closed: " + e.getMessage(), null);
    }

    private void closeChannel() {
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    /** Between frames: wait for the next one unless shutdown has begun. */
    private final FrameReader.Boundary boundary = new FrameReader.Boundary() {
        @Override
        public boolean mayWait() {
            return mayWaitBetweenFrames();
        }

        @Override
        public void done() {
            stoppedWaitingBetweenFrames();
        }
    };

    // tag::blocking-await-budget[]
    /** The budget said no: park until it grants room, or until another thread ends this connection. */
    private void awaitBudget() throws IOException {
        Thread me = Thread.currentThread();
        var granted = new java.util.concurrent.atomic.AtomicBoolean();
        memory.await(() -> {
            granted.set(true);
            LockSupport.unpark(me);
        });
        while (!granted.get()) {
            if (endedBy() != null || !channel.isOpen()) throw new ClosedChannelException();
            LockSupport.park(this);                          // expire/abort unpark us after closing
        }
    }
    // end::blocking-await-budget[]

    // tag::blocking-end[]
    @Override
    protected void wake(String why) {
        closeChannel();                                      // wakes the thread out of read or write
        Thread t = thread;
        if (t != null) LockSupport.unpark(t);                // or out of a budget wait
    }
    // end::blocking-end[]
}
