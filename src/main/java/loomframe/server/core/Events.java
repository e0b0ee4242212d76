package loomframe.server.core;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;
import loomframe.server.CloseReason;

/**
 * The server's JDK Flight Recorder events, in the {@code loomframe} category. A recording shows
 * them next to the JDK's own ({@code jdk.VirtualThreadPinned}, GC, sockets):
 * <pre>
 *   JAVA_OPTS=-XX:StartFlightRecording=filename=rec.jfr ./loomframe serve
 *   jfr print --events loomframe.ConnectionClosed rec.jfr
 * </pre>
 * None is on the per-frame path. A disabled event costs a check of a flag: {@code shouldCommit()}
 * is false and the JIT removes the unused event object.
 */
public final class Events {
    private Events() {}

    @Name("loomframe.ConnectionClosed")
    @Label("Connection Closed")
    @Category("loomframe")
    @Description("A connection ended: who, why, and what it exchanged.")
    @StackTrace(false)
    public static final class ConnectionClosed extends Event {
        @Label("Peer") public String peer;
        @Label("Implementation") public String impl;
        @Label("Reason") @Description("The close reason's stable name: eof, idle, too-large, ...") public String reason;
        @Label("Frames Received") public long frames;
        @Label("Bytes In") @DataAmount public long bytesIn;
        @Label("Bytes Out") @DataAmount public long bytesOut;
        @Label("Connected For") @Timespan public long connectedFor;
    }

    @Name("loomframe.ProtocolError")
    @Label("Protocol Error")
    @Category("loomframe")
    @Description("A peer broke the framing protocol; its connection is closed.")
    @StackTrace(false)
    public static final class ProtocolError extends Event {
        @Label("Peer") public String peer;
        @Label("Reason") public String reason;
        @Label("Message") public String message;
    }

    @Name("loomframe.BudgetWait")
    @Label("Budget Wait")
    @Category("loomframe")
    @Description("A connection stopped reading until the buffer budget (--max-buffered) had room for it.")
    @StackTrace(false)
    public static final class BudgetWait extends Event {
        @Label("Peer") public String peer;
        @Label("Waited") @Timespan public long waited;
        @Label("Bytes Asked") @Description("What the read it waited for asked of the budget") @DataAmount public long bytes;
    }

    @Name("loomframe.Backpressure")
    @Label("Backpressure")
    @Category("loomframe")
    @Description("A connection's replies did not fit the socket at once (the peer reads slower than it sends): it was paused while they drained.")
    @StackTrace(false)
    public static final class Backpressure extends Event {
        @Label("Peer") public String peer;
        @Label("Paused") @Timespan public long paused;
        @Label("Reply Bytes") @DataAmount public long bytes;
    }

    static void connectionClosed(ServedConnection c, CloseReason reason, long frames, long in, long out, long nanos) {
        var e = new ConnectionClosed();
        if (!e.shouldCommit()) return;
        e.peer = c.peerForEvents();
        e.impl = c.impl().cliName();
        e.reason = reason.label();
        e.frames = frames;
        e.bytesIn = in;
        e.bytesOut = out;
        e.connectedFor = nanos;
        e.commit();
    }

    static void protocolError(ServedConnection c, CloseReason reason, String message) {
        var e = new ProtocolError();
        if (!e.shouldCommit()) return;
        e.peer = c.peerForEvents();
        e.reason = reason.label();
        e.message = message;
        e.commit();
    }

    static void budgetWait(ServedConnection c, long nanos, long bytes) {
        var e = new BudgetWait();
        if (!e.shouldCommit()) return;
        e.peer = c.peerForEvents();
        e.waited = nanos;
        e.bytes = bytes;
        e.commit();
    }

    /** Replies that did not fit the socket at once, first refused at {@code since}, have now drained. */
    static void backpressure(ServedConnection c, long since, long bytes) {
        var e = new Backpressure();
        if (!e.shouldCommit()) return;
        e.peer = c.peerForEvents();
        e.paused = System.nanoTime() - since;
        e.bytes = bytes;
        e.commit();
    }
}
