package loomframe.server.core;

import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

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
 *       {@code --max-frame} can always finish, however many half-sent frames fill the share. When
 *       bytes come back, the frame in overdraft is served before anyone in line. If it stops
 *       arriving (no bytes for {@link #STALL_NANOS} while it could read), the overdraft passes to
 *       the next waiter, within the same ceiling: what the stalled frame keeps still counts, so the
 *       bound holds whatever the peers do.</li>
 *   <li><b>The small-frame reserve</b>: frames that fit one chunk take it from a reserve of their
 *       own and never wait behind large ones, so a client of small frames is served while 16 MiB
 *       frames queue.</li>
 * </ul>
 * So the bytes held never exceed {@code max + overdraft + smallReserve}.
 *
 * <h2>Why the line always moves</h2>
 * A connection's idle deadline stops while it waits here (the server, not its peer, is keeping it),
 * so a wait that could never end would hold the connection for good. Every waiting frame but two
 * kinds took its bytes while the total was within {@code max}, so together they hold at most
 * {@code max}, and the frame in overdraft, served first, always finds room for the rest of its
 * frame once everything else has come back. The two kinds: the frame in overdraft itself, and a
 * frame that lost the overdraft for stalling ({@link Account#overdraftLost}), which may hold bytes
 * past {@code max}. That one waits with its deadline running: if its bytes are what the frame in
 * overdraft needs, its deadline frees them.
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
    private final LongSupplier clock;                        // System::nanoTime but in tests
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
        this(max, overdraft, smallReserve, System::nanoTime);
    }

    /** With a clock of its own, for tests that play time forward. */
    BufferBudget(long max, long overdraft, long smallReserve, LongSupplier clock) {
        this.max = max;
        this.ceiling = max + overdraft;
        this.smallReserve = smallReserve;
        this.clock = clock;
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
            // Stalled only if it could read: not while it waits in line, nor while a grant it has
            // not taken yet waits for its thread (the server's delay, not the peer's).
            if (overdraft == holder && !holder.queued && !holder.granted && now - holder.lastProgress >= STALL_NANOS) {
                overdraft = null;
                holder.overdraftLost = true;
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
        // Written under the lock, read by the owner:
        private volatile boolean overdraftLost;

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
            List<Runnable> wakes = new ArrayList<>(0);
            long got;
            lock.lock();
            try {
                got = Math.min(reserved, want);
                long extra = reserved - got;
                reserved = 0;
                granted = false;
                held += got;
                if (extra > 0) {                                   // asked for less this time: the rest goes to the line
                    used.addAndGet(-extra);
                    grantInOrder(wakes, clock.getAsLong());
                }
            } finally {
                lock.unlock();
            }
            wake(wakes);
            return got;
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
                grantInOrder(wakes, clock.getAsLong());
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

        /**
         * Whether this frame held the overdraft and lost it for stalling. Until the frame completes
         * or gets the overdraft again, its waits in line do not stop its idle deadline: it may hold
         * bytes past the share, and then only its deadline can give them back to the frame that
         * now holds the overdraft.
         */
        public boolean overdraftLost() {
            return overdraftLost;
        }

        /** Bytes of the frame in progress arrived: it is not stalled (keeps any overdraft). */
        public void progress() {
            if (overdraft == this) lastProgress = clock.getAsLong();
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
                overdraftLost = false;
                if (overdraft == this) {
                    overdraft = null;
                    grantInOrder(wakes, clock.getAsLong());
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
                overdraftLost = false;
                if (overdraft == this) overdraft = null;
                if (held > 0) {
                    used.addAndGet(-held);
                    held = 0;
                }
                grantInOrder(wakes, clock.getAsLong());
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
            grantInOrder(wakes, clock.getAsLong());
        } finally {
            lock.unlock();
        }
        wake(wakes);
    }

    // tag::budget-grant[]
    /**
     * Under the lock: reserves room for waiters. The frame in overdraft first, since it is the one
     * that can always finish; then the line, oldest frame first. If the oldest does not fit the
     * share and nobody holds the overdraft, it takes it.
     */
    private void grantInOrder(List<Runnable> wakes, long now) {
        Account holder = overdraft;
        if (holder != null && holder.queued) grant(holder, ceiling, wakes, now);
        while (!waiting.isEmpty()) {
            Account a = waiting.peek();
            if (grant(a, a == overdraft ? ceiling : max, wakes, now)) continue;
            if (overdraft != null) break;                           // wait for bytes to come back
            overdraft = a;                                          // the share is spent: the oldest frame may overdraw it
            a.overdraftLost = false;
            a.lastProgress = now;
        }
    }

    /** Under the lock: reserves what {@code a} asked for, if at least its least fits under {@code limit}. */
    private boolean grant(Account a, long limit, List<Runnable> wakes, long now) {
        long got = Math.min(a.wanted, Math.max(0, (limit - used.get()) / UNIT * UNIT));
        if (got < a.atLeast || got == 0) return false;
        used.addAndGet(got);
        a.reserved += got;
        a.granted = true;
        if (a == overdraft) a.lastProgress = now;                   // its stall clock starts when it can read
        Runnable wake = a.onGrant;
        a.leaveLine();
        if (wake != null) wakes.add(wake);
        return true;
    }
    // end::budget-grant[]

    private static void wake(List<Runnable> wakes) {
        for (Runnable w : wakes) w.run();                           // unpark, or hand to an executor: O(1) stack
    }
}
