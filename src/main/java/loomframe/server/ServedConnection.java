package loomframe.server;

/**
 * What the shared server machinery needs from one connection, whichever style serves it: its
 * idle deadline, and the three ways it can be told to end.
 */
public interface ServedConnection {

    /** {@link System#nanoTime()} by which the current frame must be complete. */
    long deadline();

    /** The deadline passed: close, logging how far the frame got. Called by the sweeper thread. */
    void expire();

    /** Shutdown began: finish the frame in progress, flush the replies owed, then close. */
    void drain();

    /** The shutdown timeout ran out: close now. */
    void abort();
}
