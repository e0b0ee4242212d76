package loomframe.server;

import java.util.PriorityQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import loomframe.frame.FrameDecoder;

/**
 * The global budget of partial-frame bytes ({@code --max-buffered}), shared by every connection.
 *
 * <p>A connection's decoder asks for room before its body buffer grows. While the budget has
 * room, the answer is yes at once (one atomic add). When it is exhausted, the connection stops
 * reading — TCP flow control then pushes back on its sender — and waits for a grant. Bytes that
 * have already arrived are always kept ({@code force}); what is bounded is how much more anyone
 * may read.
 *
 * <h2>How a deadlock of half-read frames resolves</h2>
 * Twenty clients each sending a 16 MiB frame into a 16 MiB budget would otherwise each get part
 * of the way, fill the budget between them, and wait for each other until their idle deadlines.
 * Two rules prevent that:
 * <ol>
 *   <li>Waiters are granted in the order their frames started (a ticket taken when a frame first
 *       waits), not whoever asks again first: the oldest frame finishes first.</li>
 *   <li>When the budget is exhausted and no frame is in <em>overdraft</em>, the oldest waiting
 *       frame enters overdraft: every growth it asks for is granted until it completes. It can
 *       always finish, its memory comes back once its reply is written (a completed frame is
 *       still on the heap until then: {@link FrameDecoder#payloadsDone()}), and the next oldest
 *       goes on.</li>
 * </ol>
 * So at most one frame at a time is over budget, and buffered memory stays below
 * {@code max + 2 × max-frame} (the overdraft frame, whose buffer at most doubles past its size, plus
 * bytes already received when the budget ran out). A peer that starts a frame and stalls holds its
 * place only until its idle deadline ({@code --idle-timeout}) closes it.
 */
public final class BufferBudget {
    private final long max;
    private final AtomicLong used = new AtomicLong();
    private final AtomicLong tickets = new AtomicLong();
    // tag::budget-lock[]
    private final ReentrantLock lock = new ReentrantLock(); // not synchronized: waiters may be virtual threads
    // end::budget-lock[]
    private final PriorityQueue<Account> waiting =
            new PriorityQueue<>((a, b) -> Long.compare(a.ticket, b.ticket));
    private volatile boolean anyWaiting;
    private volatile Account overdraft;                      // written under lock

    public BufferBudget(long maxBytes) {
        this.max = maxBytes;
    }

    public long max() { return max; }

    /** The live counter of bytes held; {@link ServerStats} reports it. */
    public AtomicLong used() { return used; }

    /**
     * How many bytes a batch read may take. Bytes read are always kept, so while the budget is
     * exhausted a batch read takes only {@link #READ_WHILE_EXHAUSTED}: small frames still arrive
     * whole and are served, and what a connection can add over the budget stays that small.
     */
    public int batchReadLimit(int capacity) {
        return anyWaiting || used.get() >= max ? Math.min(capacity, READ_WHILE_EXHAUSTED) : capacity;
    }

    /** See {@link #batchReadLimit}. */
    public static final int READ_WHILE_EXHAUSTED = 512;

    /** A new account for one connection. */
    public Account open() {
        return new Account();
    }

    /**
     * One connection's share. Used by one connection's thread at a time, except the grant
     * callback, which runs on whichever thread released the bytes.
     */
    public final class Account implements FrameDecoder.Memory {
        private long held;
        private long ticket = -1;                           // frame's place in line once it has waited
        private long wanted;                                // bytes asked for while waiting
        private Runnable onGrant;                           // how to wake this connection

        @Override
        public boolean acquire(long bytes, boolean force) {
            if (force || overdraft == this) {
                add(bytes);
                return true;
            }
            // Fast path: room, and nobody older in line.
            if (!anyWaiting && used.get() + bytes <= max) {
                add(bytes);
                return true;
            }
            lock.lock();
            try {
                if (overdraft == this || (waiting.isEmpty() && used.get() + bytes <= max)) {
                    add(bytes);
                    return true;
                }
                wanted = bytes;                             // what await() will wait for
                return false;
            } finally {
                lock.unlock();
            }
        }

        /**
         * After {@link #acquire} said no: runs {@code onGrant} once room for what it asked is
         * granted (at once, on this thread, if it already is). Then ask again.
         */
        public void await(Runnable onGrant) {
            lock.lock();
            try {
                if (ticket < 0) ticket = tickets.incrementAndGet();
                this.onGrant = onGrant;
                waiting.add(this);
                anyWaiting = true;
                grantInOrder();
            } finally {
                lock.unlock();
            }
            runGrants();
        }

        @Override
        public void release(long bytes) {
            if (bytes == 0) return;
            held -= bytes;
            used.addAndGet(-bytes);
            if (held == 0) frameDone();
            if (anyWaiting) {
                lock.lock();
                try {
                    grantInOrder();
                } finally {
                    lock.unlock();
                }
                runGrants();
            }
        }

        /**
         * A frame's memory comes back once its reply is written: only then does it lose its
         * place in line and any overdraft, so the next frame in overdraft cannot start growing
         * while the last one is still on the heap waiting to be written.
         */
        @Override
        public void completed(long bytes) {
            release(bytes);
            frameDone();
        }

        /** Gives everything back: the connection is closing. */
        public void close() {
            lock.lock();
            try {
                waiting.remove(this);
                anyWaiting = !waiting.isEmpty();
                onGrant = null;
            } finally {
                lock.unlock();
            }
            if (held > 0) release(held);
            frameDone();
        }

        /** The frame that held budget is complete: it loses its place in line and any overdraft. */
        private void frameDone() {
            ticket = -1;
            if (overdraft == this) {
                lock.lock();
                try {
                    if (overdraft == this) overdraft = null;
                    grantInOrder();
                } finally {
                    lock.unlock();
                }
                runGrants();
            }
        }

        private void add(long bytes) {
            held += bytes;
            used.addAndGet(bytes);
        }
    }

    // Grants collected under the lock and run outside it, so a callback that reads (async) or
    // unparks (blocking) never runs while holding the lock.
    private final ConcurrentLinkedQueue<Runnable> granted = new ConcurrentLinkedQueue<>();

    /** Grants waiters oldest first while they fit; if none fits and none is in overdraft, the oldest enters overdraft. */
    private void grantInOrder() {
        while (!waiting.isEmpty()) {
            Account head = waiting.peek();
            boolean fits = used.get() + head.wanted <= max;
            if (!fits && overdraft != null && overdraft != head) break;
            if (!fits) overdraft = head;
            waiting.poll();
            Runnable wake = head.onGrant;
            head.onGrant = null;
            if (wake != null) granted.add(wake);
            if (!fits) break;
        }
        anyWaiting = !waiting.isEmpty();
    }

    private void runGrants() {
        for (Runnable wake; (wake = granted.poll()) != null; ) wake.run();
    }
}
