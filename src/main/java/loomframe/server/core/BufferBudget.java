package loomframe.server.core;

import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The server-wide budget of bytes held for frames ({@code --max-buffered}), shared by every
 * connection: what decides whether a connection may read more.
 *
 * <p>A connection asks before it reads: the bytes it reads into must be granted first, so memory
 * never runs ahead of the budget. While there is room the answer is one atomic add. When there is
 * not, the connection stops reading — TCP flow control then pushes back on its sender — and waits
 * in line for a grant. <b>A grant is a reservation</b>: the bytes are counted the moment they are
 * granted, so the waiter finds them there when it asks again and nobody else can take them.
 *
 * <h2>Three lanes</h2>
 * <ul>
 *   <li><b>The main share</b>, {@code max} bytes: frames in progress and the replies still viewing
 *       them, granted oldest frame first (a ticket taken when a frame first waits).</li>
 *   <li><b>One frame in overdraft.</b> When the share is spent and the oldest waiting frame does not
 *       fit, it alone may grow past {@code max}, up to {@code max + overdraft}: so an honest frame of
 *       {@code --max-frame} can always finish, however many half-sent frames fill the share. If
 *       the frame in overdraft stops arriving (no bytes for {@link #STALL_NANOS}), the overdraft
 *       passes to the next waiter, within the same ceiling: what the stalled frame keeps still
 *       counts, so the bound holds whatever the peers do.</li>
 *   <li><b>The small-frame reserve</b>: frames that fit one chunk take it from a reserve of their
 *       own and never wait behind large ones, so a client of small frames is served while 16 MiB
 *       frames queue.</li>
 * </ul>
 * So the bytes held never exceed {@code max + overdraft + smallReserve}.
 *
 * <h2>Whose thread does what</h2>
 * A grant is found on whichever thread released bytes, under the lock; the waiters' wake-ups run
 * after it is released and do nothing but wake (unpark a thread, or hand the connection to its
 * server's grant executor), so no connection's work ever runs on another's stack and stack depth
 * does not grow with the number of waiters.
 */
public final class BufferBudget {
    /** A frame in overdraft that receives nothing for this long hands the overdraft on. */
    public static final long STALL_NANOS = 1_000_000_000L;
    private static final long NO_TICKET = Long.MAX_VALUE;
    private static final int UNIT = ChunkPool.CHUNK_SIZE;

    private final long max;
    private final long ceiling;
    private final long smallReserve;
    private final AtomicLong used = new AtomicLong();       // main share and overdraft, reservations included
    private final AtomicLong smallUsed = new AtomicLong();
    // tag::budget-lock[]
    private final ReentrantLock lock = new ReentrantLock();  // not synchronized: waiters may be virtual threads
    // end::budget-lock[]
    private final PriorityQueue<Account> waiting = new PriorityQueue<>((a, b) -> Long.compare(a.ticket, b.ticket));
    private volatile int waitingCount;                       // waiting.size(), readable without the lock
    private volatile Account overdraft;                      // written under the lock
    private long nextTicket;                                 // guarded by lock

    /**
     * @param max          the main share ({@code --max-buffered})
     * @param overdraft    how far one frame may go past it ({@code --max-frame})
     * @param smallReserve the small-frame reserve
     */
    public BufferBudget(long max, long overdraft, long smallReserve) {
        this.max = max;
        this.ceiling = max + overdraft;
        this.smallReserve = smallReserve;
    }

    public long max() { return max; }

    /** The most bytes held at once: share, overdraft and reserve together. */
    public long bound() { return ceiling + smallReserve; }

    /** Bytes held now, reservations included. */
    public long used() { return used.get() + smallUsed.get(); }

    /** Connections waiting for a grant now. */
    public int waitingCount() { return waitingCount; }

    /** A new account for one connection. */
    public Account open() {
        return new Account();
    }

    /**
     * Hands the overdraft on from a frame that stopped arriving (called by the idle sweeper a few
     * times a second), so that one stalled peer cannot hold every large frame up until its deadline.
     */
    public void sweep(long now) {
        Account holder = overdraft;
        if (holder == null || now - holder.lastProgress < STALL_NANOS) return;
        List<Runnable> wakes = new ArrayList<>();
        lock.lock();
        try {
            if (overdraft == holder && !holder.queued && now - holder.lastProgress >= STALL_NANOS) {
                overdraft = null;
                grantInOrder(wakes, now);
            }
        } finally {
            lock.unlock();
        }
        wake(wakes);
    }

    /**
     * One connection's share of the budget. Its methods are called by the connection's own thread
     * (one at a time), except {@link #cancelWait} and, through the connection, {@link #close} when
     * the connection is ended while waiting; the grant callback runs on whichever thread found the
     * grant.
     */
    public final class Account {
        // The connection's own thread only:
        private long held;              // main-share bytes taken
        private long heldSmall;         // reserve bytes taken
        private boolean hasTicket;      // mirrors ticket != NO_TICKET, without the lock
        // Guarded by the lock:
        private long ticket = NO_TICKET;
        private long wanted;            // asked for when refused ...
        private long atLeast;           // ... and the least that would do
        private long reserved;          // granted while waiting, not yet taken
        private boolean queued;
        private Runnable onGrant;
        // Written by the owner and the granter, read by the sweeper:
        private volatile long lastProgress;
        private volatile boolean granted;

        private Account() {}

        // tag::budget-acquire[]
        /**
         * Asks for up to {@code want} bytes of the main share for the frame in progress, accepting
         * no fewer than {@code least} (both whole chunks).
         *
         * @return the bytes granted and now counted, between {@code least} and {@code want}; or 0:
         *         refused, stop reading, {@link #await} a grant, then ask again
         */
        public long acquire(long want, long least) {
            if (granted) return takeReservation(want);
            if (waitingCount == 0 || overdraft == this) {            // nobody in line before us
                long got = tryAdd(used, want, least, overdraft == this ? ceiling : max);
                if (got > 0) {
                    held += got;
                    return got;
                }
            }
            lock.lock();
            try {                                                   // in line: oldest frame first
                boolean first = overdraft == this || waiting.isEmpty() || ticket < waiting.peek().ticket;
                long got = first ? tryAdd(used, want, least, overdraft == this ? ceiling : max) : 0;
                if (got > 0) {
                    held += got;
                    return got;
                }
                wanted = want;
                atLeast = least;
                return 0;
            } finally {
                lock.unlock();
            }
        }
        // end::budget-acquire[]

        /**
         * Takes {@code bytes} only if that leaves at least half the main share free and nobody is
         * waiting: for reading ahead (a busy connection keeping a chunk between frames), which must
         * never crowd out frames in progress. Never waits.
         */
        public boolean acquireSpare(long bytes) {
            if (waitingCount > 0 || tryAdd(used, bytes, bytes, max / 2) == 0) return false;
            held += bytes;
            return true;
        }

        /** Whether a busy connection may go on keeping {@code bytes} it holds for reading ahead. */
        public boolean mayKeepSpare() {
            return waitingCount == 0 && used.get() <= max / 2;
        }

        /** Takes {@code bytes} of the small-frame reserve; false when it is spent (then use {@link #acquire}). */
        public boolean acquireSmall(long bytes) {
            if (tryAdd(smallUsed, bytes, bytes, smallReserve) == 0) return false;
            heldSmall += bytes;
            return true;
        }

        private long takeReservation(long want) {
            lock.lock();
            try {
                long got = reserved;
                reserved = 0;
                granted = false;
                held += got;
                long extra = got - Math.min(got, want);
                if (extra == 0) return got;
                held -= extra;                                     // asked for less this time: give the rest back
                used.addAndGet(-extra);
                return got - extra;
            } finally {
                lock.unlock();
            }
        }

        /**
         * After {@link #acquire} said no: runs {@code onGrant} once room is reserved for this
         * account (perhaps at once, on this thread). {@code onGrant} must only wake the connection.
         */
        public void await(Runnable onGrant) {
            List<Runnable> wakes = new ArrayList<>(1);
            lock.lock();
            try {
                if (ticket == NO_TICKET) {
                    ticket = nextTicket++;
                    hasTicket = true;
                }
                this.onGrant = onGrant;
                queued = true;
                waiting.add(this);
                waitingCount = waiting.size();
                grantInOrder(wakes, System.nanoTime());
            } finally {
                lock.unlock();
            }
            wake(wakes);
        }

        /**
         * Leaves the line without a grant (the connection is being ended).
         *
         * @return true if it was waiting and now is not, so no grant will come; false if it was not
         *         waiting (a grant may already be on its way)
         */
        public boolean cancelWait() {
            lock.lock();
            try {
                if (!queued) return false;
                leaveLine();
                return true;
            } finally {
                lock.unlock();
            }
        }

        /** Gives {@code bytes} of the main share back. */
        public void release(long bytes) {
            if (bytes == 0) return;
            held -= bytes;
            used.addAndGet(-bytes);
            grantWaiters();
        }

        /** Gives {@code bytes} of the small-frame reserve back. */
        public void releaseSmall(long bytes) {
            heldSmall -= bytes;
            smallUsed.addAndGet(-bytes);
        }

        /** Bytes of the frame in progress arrived: it is not stalled (keeps any overdraft). */
        public void progress() {
            if (overdraft == this) lastProgress = System.nanoTime();
        }

        /**
         * The frame that held a place in line is complete: it gives up its ticket and any overdraft
         * (its bytes stay counted until they are released). Costs nothing for a frame that never waited.
         */
        public void frameDone() {
            if (!hasTicket && overdraft != this) return;
            List<Runnable> wakes = new ArrayList<>();
            lock.lock();
            try {
                ticket = NO_TICKET;
                hasTicket = false;
                if (overdraft == this) {
                    overdraft = null;
                    grantInOrder(wakes, System.nanoTime());
                }
            } finally {
                lock.unlock();
            }
            wake(wakes);
        }

        /** Gives everything back: the connection is closing. */
        public void close() {
            List<Runnable> wakes = new ArrayList<>();
            lock.lock();
            try {
                if (queued) leaveLine();
                ticket = NO_TICKET;
                hasTicket = false;
                if (reserved > 0) {
                    used.addAndGet(-reserved);
                    reserved = 0;
                }
                granted = false;
                if (overdraft == this) overdraft = null;
                if (held > 0) {
                    used.addAndGet(-held);
                    held = 0;
                }
                grantInOrder(wakes, System.nanoTime());
            } finally {
                lock.unlock();
            }
            if (heldSmall > 0) releaseSmall(heldSmall);
            wake(wakes);
        }

        /** Main-share bytes this account holds (for tests and diagnostics). */
        public long held() { return held; }

        /** Reserve bytes this account holds. */
        public long heldSmall() { return heldSmall; }

        private void leaveLine() {                                  // under the lock
            waiting.remove(this);
            waitingCount = waiting.size();
            queued = false;
            onGrant = null;
        }
    }

    /** Adds up to {@code want} (at least {@code least}) to {@code counter} without passing {@code limit}; returns what it added. */
    private static long tryAdd(AtomicLong counter, long want, long least, long limit) {
        while (true) {
            long u = counter.get();
            long room = (limit - u) / UNIT * UNIT;
            long got = Math.min(want, room);
            if (got < least || got <= 0) return 0;
            if (counter.compareAndSet(u, u + got)) return got;
        }
    }

    private void grantWaiters() {
        if (waitingCount == 0) return;
        List<Runnable> wakes = new ArrayList<>();
        lock.lock();
        try {
            grantInOrder(wakes, System.nanoTime());
        } finally {
            lock.unlock();
        }
        wake(wakes);
    }

    // tag::budget-grant[]
    /** Under the lock: reserves room for waiters, oldest frame first; if the oldest does not fit, it may go into overdraft. */
    private void grantInOrder(List<Runnable> wakes, long now) {
        while (!waiting.isEmpty()) {
            Account a = waiting.peek();
            long limit = a == overdraft ? ceiling : max;
            long got = Math.min(a.wanted, Math.max(0, (limit - used.get()) / UNIT * UNIT));
            if (got < a.atLeast || got == 0) {
                if (overdraft == null) {                            // the share is spent: the oldest frame may overdraw it
                    overdraft = a;
                    a.lastProgress = now;
                    continue;
                }
                break;                                              // wait for bytes to come back
            }
            used.addAndGet(got);
            a.reserved += got;
            a.granted = true;
            Runnable wake = a.onGrant;
            a.leaveLine();
            if (wake != null) wakes.add(wake);
        }
    }
    // end::budget-grant[]

    private static void wake(List<Runnable> wakes) {
        for (Runnable w : wakes) w.run();                           // unpark, or hand to an executor: O(1) stack
    }
}
