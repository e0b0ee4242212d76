package loomframe.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicBoolean;
import loomframe.frame.FrameDecoder;
import loomframe.frame.FrameException;
import loomframe.frame.FrameFormat;
import org.junit.jupiter.api.Test;

/** The global budget of partial-frame bytes, driven through real decoders without sockets. */
class BufferBudgetTest {
    private static final int FRAME = 100_000;

    /** A decoder that has read a 100,000-byte frame's prefix and its first 16 KiB. */
    private static FrameDecoder startedFrame(BufferBudget.Account account) throws FrameException {
        var decoder = new FrameDecoder(FrameFormat.DEFAULT, account);
        ByteBuffer start = ByteBuffer.allocate(4 + FrameDecoder.FIRST_BODY_CHUNK).putInt(FRAME);
        assertNull(decoder.next(start.clear()));
        return decoder;
    }

    /** Reads the rest of the frame straight into the decoder, as far as the budget lets it. */
    private static ByteBuffer readOn(FrameDecoder decoder) throws FrameException {
        while (true) {
            ByteBuffer window = decoder.window(8192);
            if (window == null) return null;                  // the budget said no: wait
            int n = window.remaining();
            window.position(window.limit());
            ByteBuffer payload = decoder.filled(n);
            if (payload != null) return payload;
        }
    }

    @Test
    void resolvesADeadlockOfHalfReadFramesOldestFirst() throws FrameException {
        var budget = new BufferBudget(2 * FrameDecoder.FIRST_BODY_CHUNK);  // room for the two first chunks only
        var a = budget.open();
        var b = budget.open();
        FrameDecoder first = startedFrame(a), second = startedFrame(b);
        assertEquals(budget.max(), budget.used().get(), "both first chunks held: the budget is exhausted");

        assertNull(readOn(first));
        var aGranted = new AtomicBoolean();
        a.await(() -> aGranted.set(true));
        assertTrue(aGranted.get(), "nothing fits and no one is in overdraft: the oldest waiter gets it");

        assertNull(readOn(second));
        var bGranted = new AtomicBoolean();
        b.await(() -> bGranted.set(true));
        assertFalse(bGranted.get(), "only one frame at a time in overdraft");

        ByteBuffer payload = readOn(first);
        assertNotNull(payload, "the frame in overdraft always completes");
        assertEquals(FRAME, payload.remaining());
        assertFalse(bGranted.get(), "the completed frame is still on the heap until its reply is written");
        assertTrue(budget.used().get() >= FRAME);

        first.payloadsDone();                                  // its reply is written
        assertTrue(bGranted.get(), "then the next frame in line goes on");
        ByteBuffer secondPayload = null;
        for (int waits = 0; secondPayload == null && waits < 10; waits++) {   // alone now: it waits at most once more
            secondPayload = readOn(second);
            if (secondPayload == null) {
                var granted = new AtomicBoolean();
                b.await(() -> granted.set(true));
                assertTrue(granted.get(), "alone in line, it is granted at once");
            }
        }
        assertNotNull(secondPayload);
        second.payloadsDone();
        a.close();
        b.close();
        assertEquals(0, budget.used().get(), "everything given back");
    }

    @Test
    void givesEverythingBackWhenAConnectionCloses() throws FrameException {
        var budget = new BufferBudget(1 << 20);
        var account = budget.open();
        FrameDecoder decoder = startedFrame(account);
        assertTrue(budget.used().get() > 0);
        decoder.release();
        account.close();
        assertEquals(0, budget.used().get());
    }
}
