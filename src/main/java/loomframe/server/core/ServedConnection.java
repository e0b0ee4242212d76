package loomframe.server.core;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.System.Logger.Level;
import java.net.SocketAddress;
import loomframe.frame.FrameException;
import java.nio.channels.AsynchronousChannelGroup;
import java.time.Duration;
import javax.net.ssl.SSLException;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import loomframe.server.BackendException;
import loomframe.server.CloseReason;
import loomframe.server.FrameHandler;
import loomframe.server.HandlerContext;
import loomframe.server.Impl;
import loomframe.server.Payload;
import loomframe.server.ServerConfig;
import loomframe.server.ServerStats;

/**
 * What a connection is, whichever style serves it: its {@link FrameFlow} (steps and read memory),
 * its {@link ReplyQueue}, its share of the budget, its idle deadline, the three ways other threads
 * may end it, and the one place that says why it failed. Both {@code BlockingConnection} and
 * {@code AsyncConnection} extend it and add only how they wait: for a read, a write, the budget
 * and a handler.
 *
 * <p>Another thread never tidies up a connection itself: it records why the connection must end
 * ({@link #endedBy()}) and wakes it ({@link #wake}) by closing its socket. The connection's own
 * thread (blocking) or its failed completion (async) then closes it and logs the reason, in one
 * place.
 */
public abstract class ServedConnection implements FrameFlow.Boundary, HandlerContext {
    protected final ServerCore server;
    protected final ServerConfig config;
    protected final BufferBudget.Account memory;
    protected final ReplyQueue out;
    protected final FrameFlow flow;
    private final SocketAddress remote;            // formatted only when a line is logged: idle connections stay small
    private final long openedAt = System.nanoTime();
    private volatile long deadline;
    private volatile boolean deadlinePaused;
    private long pausedFor;                        // what was left of the deadline when it was paused
    private long budgetWaitSince;
    private long lastReadAt;
    private boolean lastReadFull;
    private volatile CloseReason endedBy;
    private volatile boolean draining;
    private volatile boolean transportOpen;         // the TLS handshake is over (plain TCP: at once); read by the sweeper's wake-up
    private volatile boolean parkedBetweenFrames;           // CAS through PARKED: the connection or drain() clears it, not both
    private static final VarHandle PARKED;
    static {
        try {
            PARKED = MethodHandles.lookup().findVarHandle(ServedConnection.class, "parkedBetweenFrames", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
    // Counts for the ConnectionClosed event, and frames not yet added to the server's: own thread only.
    private long frames;
    private int uncountedFrames;
    private long uncountedPayloadBytes;
    private int uncountedBucket = -1;
    private int uncountedInBucket;
    private long bytesIn;
    private long bytesOut;

    protected ServedConnection(ServerCore server, SocketAddress remote) {
        this.server = server;
        this.config = server.config();
        this.remote = remote;
        this.deadline = server.deadlineFrom(openedAt);
        this.memory = server.budget().open();
        var slot = server.pool().takeHeaderSlot();
        this.out = new ReplyQueue(config.format(), slot.slice(8, ChunkPool.HEADER_SLOT - 8));
        this.flow = new FrameFlow(config.format(), server.pool(), memory, out, this, config.maxPendingReplies(), slot);
    }

    /** {@code 127.0.0.1:51234}: who this connection serves, for log lines. */
    protected final String peerName() {
        return ServerCore.describe(remote);
    }

    // --- the handler, and what it may know of this connection -----------------------------

    /** This connection's handler: the configured one, or what it {@linkplain FrameHandler#open opened} for us. */
    protected FrameHandler handler;

    /** Opens the handler for this connection; a failure there is the handler's. */
    protected final void openHandler() throws HandlerFailure {
        try {
            handler = config.handler().open(this);
        } catch (Throwable e) {
            throw new HandlerFailure(e);
        }
    }

    /** Closes a handler opened for this connection alone. */
    private void closeHandler() {
        FrameHandler h = handler;
        if (h == null || h == config.handler()) return;
        try {
            h.close();
        } catch (Throwable e) {
            log(Level.WARNING, "handler-close", peerName() + ": closing its handler failed: " + e, e);
        }
    }

    @Override
    public final SocketAddress peer() {
        return remote;
    }

    @Override
    public final Impl impl() {
        return config.impl();
    }

    @Override
    public final Duration idleTimeout() {
        return config.idleTimeout();
    }

    @Override
    public Optional<AsynchronousChannelGroup> channelGroup() {
        return Optional.empty();
    }

    @Override
    public final ScheduledExecutorService scheduler() {
        return server.scheduler();
    }

    /** The transport is open (a TLS handshake finished): from now on frames flow. */
    protected final void transportOpened() {
        transportOpen = true;
    }

    /** One log line about this connection, rate-limited per {@code kind}. */
    protected final void log(Level level, String kind, String message, Throwable cause) {
        server.log().log(level, kind, new ConnectionLog.Fields(peerName(), null), message, cause);
    }

    /** One log line about why this connection closed, rate-limited per reason. */
    protected final void log(Level level, CloseReason reason, String message, Throwable cause) {
        server.log().log(level, reason.label(), new ConnectionLog.Fields(peerName(), reason.label()), message, cause);
    }

    // --- the steps both styles share ---------------------------------------------------------

    /** A frame is complete: count it; its deadline stops until the handler is done with it. */
    protected final void frameArrived(Payload payload) {
        frames++;
        int size = payload.size();
        uncountedFrames++;
        uncountedPayloadBytes += size;
        int bucket = ServerStats.sizeBucket(size);
        if (bucket != uncountedBucket) {
            if (uncountedInBucket > 0) server.stats().framesOfSize(uncountedBucket, uncountedInBucket);
            uncountedBucket = bucket;
            uncountedInBucket = 0;
        }
        uncountedInBucket++;
        deadlinePaused = true;                     // the server's own work: not the peer's time
    }

    /**
     * Adds the frames counted since the last time to the server's counters. Called before every
     * wait for the peer or the budget — a read, a write, a budget wait — and by the async server
     * before a handler that did not finish at once, so a batch of frames costs a few adds, not a few
     * per frame, and a reply is never seen before its frame is counted. (A blocking handler that
     * waits, such as {@code delay:D}, is not told apart from a quick one: its frame is counted
     * with the replies, up to D later.)
     */
    protected final void publishCounts() {
        if (uncountedFrames == 0) return;
        server.stats().framesReceived(uncountedFrames, uncountedPayloadBytes);
        server.stats().framesOfSize(uncountedBucket, uncountedInBucket);
        uncountedFrames = 0;
        uncountedPayloadBytes = 0;
        uncountedInBucket = 0;
    }

    /** The handler is done with the frame: the next frame gets a full {@code --idle-timeout} from now. */
    protected final void frameHandled() {
        deadline = server.deadlineFrom(System.nanoTime());
        deadlinePaused = false;
    }

    // tag::served-bytes-arrived[]
    /**
     * A read returned {@code n} bytes (or -1 at end of stream): count them and hand them to the flow.
     *
     * <p>The idle clock measures the peer's slowness, not the server's: when two reads running
     * come back full inside a frame, the kernel had more than the server took both times, so the
     * time between them went to the server (a busy machine, a thread waiting for a core), and the
     * deadline moves on by as much. A peer that trickles never fills a read and gets no such credit.
     */
    protected final void bytesArrived(long n) throws FrameException {
        if (n > 0) {
            bytesIn += n;
            server.stats().bytesReceived(n);
        }
        flow.bytesRead(n);
        boolean full = flow.lastReadFull();
        if (full || lastReadFull) {
            long now = System.nanoTime();
            if (full && lastReadFull && flow.inFrame()) deadline += now - lastReadAt;
            lastReadAt = now;
        }
        lastReadFull = full;
    }
    // end::served-bytes-arrived[]

    /** Replies that did not fit the socket at once, first refused at {@code since}, have drained. */
    protected final void backpressureEnded(long since, long bytes) {
        Events.backpressure(this, since, bytes);
    }

    /** Counts a write's bytes, and the replies it finished. */
    protected final void countWritten(long n) {
        bytesOut += n;
        server.stats().bytesSent(n);
        long replies = out.takeRepliesWritten();
        if (replies > 0) server.stats().framesSent(replies);
    }

    /** About to wait for the budget: the idle clock stops, since the peer is not the one keeping us. */
    protected final void budgetWaitStarted() {
        publishCounts();
        budgetWaitSince = System.nanoTime();
        pausedFor = deadline - budgetWaitSince;
        deadlinePaused = true;
    }

    /** The budget granted room: the idle clock runs on from where it stopped. */
    protected final void budgetWaitEnded() {
        long now = System.nanoTime();
        deadline = now + pausedFor;
        deadlinePaused = false;
        Events.budgetWait(this, now - budgetWaitSince, flow.bytesAwaited());
    }

    // --- the deadline and the drain protocol, read by other threads ---------------------------

    /** {@link System#nanoTime()} by which the current frame must be complete, unless paused. */
    public final long deadline() {
        return deadline;
    }

    /** Whether the deadline does not run now: a frame being handled, or a wait for the budget. */
    public final boolean deadlinePaused() {
        return deadlinePaused;
    }

    /** Why another thread ended this connection ({@code IDLE}, {@code SHUTDOWN}, {@code FORCED}), or null. */
    protected final CloseReason endedBy() {
        return endedBy;
    }

    /**
     * About to wait for the next frame with nothing half-read. Returns false if shutdown has
     * begun: then don't wait, close. Setting the flag before reading {@code draining} here, and
     * setting {@code draining} before taking the flag in {@link #drain}, make sure a connection
     * either sees the shutdown here or is closed by it while it waits; and since both take the
     * flag back with a compare-and-set, a connection whose read has just brought the start of a
     * frame is never closed for shutdown as if it were still idle.
     */
    @Override
    public final boolean mayWaitBetweenFrames() {
        parkedBetweenFrames = true;
        if (!draining) return true;
        PARKED.compareAndSet(this, true, false);
        return false;
    }

    /** Bytes arrived: no longer waiting between frames (unless shutdown took the flag first: then the channel is closed). */
    @Override
    public final void stoppedWaitingBetweenFrames() {
        PARKED.compareAndSet(this, true, false);
    }

    // tag::served-end[]
    /** The deadline passed: end with a log line saying how far the frame got. Called by the sweeper. */
    public final void expire() {
        end(CloseReason.IDLE);
    }

    /** Shutdown began: finish the frame in progress, flush the replies owed, then close. */
    public final void drain() {
        draining = true;
        if (PARKED.compareAndSet(this, true, false)) end(CloseReason.SHUTDOWN);   // nothing half-read: close now
    }

    /** The shutdown timeout ran out: close now. */
    public final void abort() {
        end(CloseReason.FORCED);
    }

    private void end(CloseReason why) {
        if (endedBy == null) endedBy = why;
        wake(endedBy);
    }
    // end::served-end[]

    /**
     * Make whatever this connection waits for fail, so that it closes: close its socket (a
     * blocking read or write, or a pending completion, then fails), and leave any budget wait.
     * Called by other threads; must not throw.
     */
    protected abstract void wake(CloseReason why);

    // --- ending ---------------------------------------------------------------------------------

    // tag::served-failed[]
    /**
     * Why a failure ends this connection, with its one log line: the same in both styles. A
     * protocol error is the peer's fault (WARNING, with the numbers); a close we caused says
     * why we did; a reset is routine (DEBUG); anything else is a bug here or in the handler
     * (WARNING, stack trace with {@code -v}).
     */
    protected final CloseReason failed(Throwable e) {
        CloseReason ended = endedBy;
        if (e instanceof FrameException fe) {                   // the peer broke the protocol: say what
            CloseReason reason = CloseReason.of(fe);
            log(Level.WARNING, reason, peerName() + " closed: " + fe.getMessage(), null);
            Events.protocolError(this, reason, fe.getMessage());
            return reason;
        }
        if (ended == CloseReason.IDLE && !transportOpen && config.hasTls()) {    // stalled in the TLS handshake
            log(Level.WARNING, CloseReason.TLS, peerName() + " closed: TLS handshake not finished within "
                    + Durations.format(config.idleTimeout()) + " (--idle-timeout)", null);
            return CloseReason.TLS;
        }
        if (ended != null) {                                    // we closed it: say why
            switch (ended) {
                case IDLE -> log(Level.WARNING, ended, peerName() + " closed: no complete frame within "
                        + Durations.format(config.idleTimeout()) + " (--idle-timeout); " + flow.progress() + out.describeUnsent(), null);
                case FORCED -> log(Level.WARNING, ended, peerName() + " closed: still in a frame when --shutdown-timeout "
                        + Durations.format(config.shutdownTimeout()) + " ran out; " + flow.progress() + out.describeUnsent(), null);
                default -> log(Level.DEBUG, ended, peerName() + " closed: server shutting down", null);
            }
            return ended;
        }
        if (e instanceof HandlerFailure h && h.getCause() instanceof BackendException b) {   // its backend failed
            log(Level.WARNING, CloseReason.BACKEND, peerName() + " closed: " + b.getMessage(), null);
            return CloseReason.BACKEND;
        }
        if (e instanceof HandlerFailure h) {                    // the handler threw: this connection only
            log(Level.WARNING, CloseReason.HANDLER_ERROR, peerName() + " closed: handler failed: " + h.getCause(), h.getCause());
            return CloseReason.HANDLER_ERROR;
        }
        if (e instanceof SSLException) {                        // TLS failed: the handshake, or a broken record
            log(Level.WARNING, CloseReason.TLS, peerName() + " closed: " + e.getMessage(), null);
            return CloseReason.TLS;
        }
        if (e instanceof IOException) {                         // reset, broken pipe: routine
            log(Level.DEBUG, CloseReason.RESET, peerName() + " gone: " + e, e);
            return CloseReason.RESET;
        }
        log(Level.WARNING, CloseReason.INTERNAL_ERROR, peerName() + " closed: internal error: " + e, e);
        return CloseReason.INTERNAL_ERROR;
    }
    // end::served-failed[]

    /**
     * Gives back everything the connection holds and counts its close, exactly once (the subclass
     * makes sure of that). Must not be called while a handler may still use a payload.
     */
    protected final void released(CloseReason reason) {
        if (reason == CloseReason.EOF) log(Level.DEBUG, reason, peerName() + " closed: end of stream", null);
        else if (reason == CloseReason.SHUTDOWN && endedBy == null) log(Level.DEBUG, reason, peerName() + " closed: server shutting down", null);
        try {
            closeHandler();
            flow.release();
            out.clear();
        } finally {
            memory.close();
            server.ended(this, reason);
            Events.connectionClosed(this, reason, frames, bytesIn, bytesOut, System.nanoTime() - openedAt);
        }
    }

    /** For events: the peer, formatted. */
    final String peerForEvents() {
        return peerName();
    }
}
