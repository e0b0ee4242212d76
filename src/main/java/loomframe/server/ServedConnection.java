package loomframe.server;

/**
 * The part of a connection that other threads touch, whichever style serves it: its idle
 * deadline, and the three ways it can be told to end. Both styles extend it, so idle timeouts and
 * shutdown read the same in each; only {@link #wake} differs.
 *
 * <p>Another thread never tidies up a connection itself: it records why the connection must end
 * ({@link #endedBy()}) and wakes it by closing its socket. The connection's own thread (blocking)
 * or its failed completion (async) then closes it and logs the reason, in one place.
 */
public abstract class ServedConnection {
    private final java.net.SocketAddress remote;   // formatted only when a line is logged: idle connections stay small
    private final ConnectionLog log;
    private volatile long deadline;
    private volatile String endedBy;
    private volatile boolean draining;
    private volatile boolean parkedBetweenFrames;

    protected ServedConnection(long firstDeadline, java.net.SocketAddress remote, ConnectionLog log) {
        this.deadline = firstDeadline;
        this.remote = remote;
        this.log = log;
    }

    /** {@code 127.0.0.1:51234}: who this connection serves, for log lines. */
    protected final String peer() {
        return ServerCore.describe(remote);
    }

    /** One log line about this connection, rate-limited per {@code kind}. */
    protected final void log(System.Logger.Level level, String kind, String message, Throwable cause) {
        log.log(level, kind, message, cause);
    }

    /** {@link System#nanoTime()} by which the current frame must be complete. */
    public final long deadline() {
        return deadline;
    }

    /** A frame completed: the next one gets a full {@code --idle-timeout}. */
    protected final void restartDeadline(long next) {
        deadline = next;
    }

    /** Why another thread ended this connection ({@code idle}, {@code shutdown}, {@code forced}), or null. */
    protected final String endedBy() {
        return endedBy;
    }

    /** Whether shutdown has begun: stop at the next frame boundary. */
    protected final boolean draining() {
        return draining;
    }

    /**
     * About to wait for the next frame with nothing half-read. Returns false if shutdown has
     * begun: then don't wait, close. The two volatile writes and reads with {@link #drain} make
     * sure that a connection either sees the shutdown here or is closed by it while waiting.
     */
    protected final boolean mayWaitBetweenFrames() {
        parkedBetweenFrames = true;
        if (!draining) return true;
        parkedBetweenFrames = false;
        return false;
    }

    /** No longer waiting between frames: bytes arrived. */
    protected final void stoppedWaitingBetweenFrames() {
        parkedBetweenFrames = false;
    }

    // --- called by other threads --------------------------------------------------------------

    // tag::served-end[]
    /** The deadline passed: end with a log line saying how far the frame got. Called by the sweeper. */
    public final void expire() {
        end("idle");
    }

    /** Shutdown began: finish the frame in progress, flush the replies owed, then close. */
    public final void drain() {
        draining = true;
        if (parkedBetweenFrames) end("shutdown");            // nothing half-read: close now
    }

    /** The shutdown timeout ran out: close now. */
    public final void abort() {
        end("forced");
    }

    private void end(String why) {
        if (endedBy == null) endedBy = why;
        wake(why);
    }
    // end::served-end[]

    /**
     * Make whatever this connection waits for fail, so that it closes: close its socket (a
     * blocking read or write, or a pending completion, then fails), and leave any budget wait.
     */
    protected abstract void wake(String why);
}
