package loomframe.server.core;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
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
 *   <li><b>One frame in overdraft.</b> When the share is spent, the oldest waiting frame whose rest
 *       fits under {@code max + overdraft} (the oldest of all, unless frames that lost the overdraft
 *       hold bytes past the share) alone may grow past {@code max}. When the frame in overdraft
 *       completes, the next one is chosen once its bytes are back (its replies written), if the
 *       oldest waiter needs them: a younger frame that happens to fit meanwhile does not pass it
 *       over. So an honest frame of
 *       {@code --max-frame} can always finish, however many half-sent frames fill the share. If it
 *       stops arriving (no bytes for {@link #STALL_NANOS} while it could read), the overdraft
 *       passes to the oldest waiter whose frame can finish in what is left under the same ceiling:
 *       what the stalled frame keeps still counts, so the bound holds whatever the peers do.</li>
 *   <li><b>The small-frame reserve</b>: frames that fit one chunk take it from a reserve of their
 *       own and never wait behind large ones, so a client of small frames is served while 16 MiB
 *       frames queue.</li>
 * </ul>
 * So the bytes held never exceed {@code max + overdraft + smallReserve}, the overdraft rounded up to whole chunks.
 *
 * <h2>Why the line always moves</h2>
 * A connection's idle deadline stops while it waits here (the server, not its peer, is keeping it),
 * so a wait that could never end would hold the connection for good, and nothing may depend on
 * deadlines (they can be off). What keeps the line moving: a frame goes into overdraft only when
 * the rest of it fits under the ceiling, and nobody else can take that room, since everyone else
 * stops at {@code max} (and below {@code max} the room left is a whole {@code --max-frame}); every
 * add is a compare-and-set against its limit, and the frame in overdraft takes its bytes under
 * the lock, so that the sweeper cannot hand the overdraft on between its check and its add. When
 * bytes come back, the frame in overdraft is served before the line. So it finishes as soon as its
 * peer sends the rest, whatever the others do; and a frame that lost the overdraft for stalling,
 * which may hold bytes past {@code max}, can never wedge the frame that holds it now.
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
    private final TreeSet<Account> waiting = new TreeSet<>((a, b) -> Long.compare(a.ticket, b.ticket));  // oldest frame first
    private volatile int waitingCount;                       // waiting.size(), readable without the lock
    private volatile Account overdraft;                      // written under the lock
    private long nextTicket;                                 // guarded by lock
    private long noneFitsBelow;                              // guarded by lock: room below which no waiter can finish (0: look)
    private volatile Account finishing;                      // written under the lock: left the overdraft, bytes not back yet
    private long finishingHeld;                              // guarded by lock: what it held when its frame completed

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
        this.ceiling = max + (overdraft + UNIT - 1) / UNIT * UNIT;  // whole chunks: a frame of --max-frame always fits
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
                chooseOverdraft(wakes, now);
                if (overdraft == null) overdraft = holder;          // nobody else could finish in what is left: it keeps it
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
        private long atLeast;           // ... and the least that would do ...
        private long needs;             // ... and what the rest of the frame needs
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
         * no fewer than {@code least}, when the rest of the frame {@code needs} (all whole chunks;
         * {@code needs}, at least {@code want}, decides whether the frame may go into overdraft).
         *
         * @return the bytes granted and now counted, between {@code least} and {@code want}; or 0:
         *         refused, stop reading, {@link #await} a grant, then ask again
         */
        public long acquire(long want, long least, long needs) {
            if (granted) return takeReservation(want);
            if (waitingCount == 0 && overdraft != this) {            // nobody in line before us
                long got = tryAdd(used, want, least, max);
                if (got > 0) {
                    held += got;
                    return got;
                }
            }
            lock.lock();
            try {                                                   // in line: oldest frame first
                boolean first = overdraft == this || waiting.isEmpty() || ticket < waiting.first().ticket;
                long got = first ? tryAdd(used, want, least, overdraft == this ? ceiling : max) : 0;
                if (got > 0) {
                    held += got;
                    return got;
                }
                wanted = want;
                atLeast = least;
                this.needs = Math.max(needs, want);
                return 0;
            } finally {
                lock.unlock();
            }
        }
        // end::budget-acquire[]

        /** {@link #acquire(long, long, long)} for a frame whose rest is {@code want} (tests' shorthand). */
        long acquire(long want, long least) {
            return acquire(want, least, want);
        }

        /**
         * Takes {@code bytes} only if that leaves at least half the main share free and nobody is
         * waiting: for reading ahead (a busy connection's spare chunks, for the frames behind the
         * one in progress), which must never crowd out frames in progress. Never waits.
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
                noneFitsBelow = Math.min(noneFitsBelow, needs);      // a newcomer that fits is looked at
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
                if (overdraft == this) {
                    overdraft = null;
                    finishing = this;                               // its bytes come back when its replies are written
                    finishingHeld = held;
                    grantInOrder(wakes, clock.getAsLong());
                }
            } finally {
                lock.unlock();
            }
            wake(wakes);
        }

        /**
         * Every completed frame's bytes are back (its replies are written): if this frame was the
         * last in overdraft, the next may be chosen now with the room it left.
         */
        public void framesReleased() {
            if (finishing != this) return;
            List<Runnable> wakes = new ArrayList<>();
            lock.lock();
            try {
                if (finishing == this) {
                    finishing = null;
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
                if (overdraft == this) overdraft = null;
                if (finishing == this) finishing = null;
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
     * that can always finish; then the line, oldest frame first, within the share. When the share
     * is spent and nobody holds the overdraft, the oldest waiter that can finish in what is left
     * takes it.
     */
    private void grantInOrder(List<Runnable> wakes, long now) {
        Account holder = overdraft;
        if (holder != null && holder.queued) grant(holder, ceiling, wakes, now);
        Account next;
        while ((next = firstInLineBut(overdraft)) != null && grant(next, max, wakes, now)) {
            // granted: the next one
        }
        if (next != null && overdraft == null) chooseOverdraft(wakes, now);
    }

    /** Under the lock: the oldest waiter that can finish its frame under the ceiling goes into overdraft, if any. */
    private void chooseOverdraft(List<Runnable> wakes, long now) {
        if (waiting.isEmpty()) return;
        long room = roomUnder(ceiling);
        long oldestNeeds = waiting.first().needs;
        if (finishing != null && oldestNeeds > room && oldestNeeds <= room + finishingHeld) return;  // the last one's bytes are what it needs
        if (room < noneFitsBelow) return;                          // nobody fits: looked already, nobody new
        long smallest = Long.MAX_VALUE;
        for (Account a : waiting) {
            if (a.needs <= room) {
                overdraft = a;
                a.lastProgress = now;
                noneFitsBelow = 0;
                grant(a, ceiling, wakes, now);
                return;
            }
            smallest = Math.min(smallest, a.needs);
        }
        noneFitsBelow = smallest;
    }

    /** Under the lock: reserves what {@code a} asked for, if at least its least fits under {@code limit}. */
    private boolean grant(Account a, long limit, List<Runnable> wakes, long now) {
        long got = tryAdd(used, a.wanted, a.atLeast, limit);       // the fast paths add without the lock
        if (got == 0) return false;
        a.reserved += got;
        a.granted = true;
        if (a == overdraft) a.lastProgress = now;                   // its stall clock starts when it can read
        Runnable wake = a.onGrant;
        a.leaveLine();
        if (wake != null) wakes.add(wake);
        return true;
    }

    private Account firstInLineBut(Account skip) {
        if (waiting.isEmpty()) return null;
        Account first = waiting.first();
        return first != skip ? first : waiting.higher(first);
    }

    /** Whole chunks left under {@code limit}. */
    private long roomUnder(long limit) {
        return Math.max(0, (limit - used.get()) / UNIT * UNIT);
    }
    // end::budget-grant[]

    private static void wake(List<Runnable> wakes) {
        for (Runnable w : wakes) w.run();                           // unpark, or hand to an executor: O(1) stack
    }
}
