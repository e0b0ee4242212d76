package loomframe.server.core;

import java.nio.ByteBuffer;
import java.util.Arrays;
import loomframe.frame.FrameDecoder;
import loomframe.frame.FrameDecoder.State;
import loomframe.frame.FrameException;
import loomframe.server.CloseReason;
import loomframe.server.Payload;
import loomframe.server.core.ChunkPool.Chunk;

/**
 * Decides each step of one connection — take a frame, write replies, read more, wait for the
 * budget, or end — and owns the memory its frames are read into. Both styles run the same loop
 * over it and differ only in how they wait:
 * <pre>
 *   switch (flow.next()) {
 *       case FRAME        -&gt; handle flow.payload()
 *       case WRITE        -&gt; write the replies queued, then ask again
 *       case READ         -&gt; read into flow.readBuffers(), report flow.bytesRead(n)
 *       case AWAIT_BUDGET -&gt; wait for a grant, then ask again
 *       case END          -&gt; close with flow.endReason()
 *   }
 * </pre>
 * A blocking connection blocks in each step; an asynchronous one starts it and returns, and asks
 * again from the completion. Because the policy lives here and reads from whatever the caller
 * reads with, every split, budget refusal and shutdown-at-a-boundary case can be tested without
 * a socket.
 *
 * <h2>The read policy: one read per wake-up, nothing held while idle</h2>
 * <ul>
 *   <li>Bytes are read straight into pooled direct {@linkplain ChunkPool chunks}; every complete
 *       frame in them is handed out as a view (a {@link Payload} of one part, or several when it
 *       spans chunks), without a copy. All frames that arrived together are taken before anything
 *       else happens, so their replies go out in one write.</li>
 *   <li>A <b>busy</b> connection (one that completed a frame shortly before the last one) keeps its
 *       chunk between frames and parks reading into it, so its next frame's length field, body
 *       and any frames behind it arrive with one read. It keeps it only while the budget has half
 *       its share free; under pressure it lets go.</li>
 *   <li>A connection that is not busy — a new one, or one that did one exchange and went quiet —
 *       parks reading into its 8-byte length-field window and holds no chunk: an idle connection
 *       costs almost nothing. When that wakes it, the length field says how much to read next.</li>
 *   <li>Inside a large frame, reads take as many chunks as the recent reads suggest will fill
 *       (doubling after full reads, up to {@link #MAX_READ}), so a 16 MiB frame drains the
 *       socket in few calls while a new peer that sent 4 KiB and stopped pins one spare chunk (a
 *       busy one, up to its read-ahead, which never passes {@link #MAX_READ}).</li>
 *   <li>Every chunk is granted by the {@link BufferBudget} before bytes are read into it. A frame
 *       that fits one chunk takes it from the small-frame reserve and never waits behind large
 *       ones. Replies are written before more is read, and while {@code maxPendingReplies} are owed
 *       no further frame is taken: a peer that does not read its replies stops being read.</li>
 * </ul>
 *
 * <p>Not thread-safe: one connection's steps happen one at a time, each after the last (on one
 * thread, or on completion threads that hand over with a happens-before edge).
 */
public final class FrameFlow {

    /** What the connection does next. */
    public enum Step {
        /** A complete frame: hand {@link #payload()} to the handler. */
        FRAME,
        /** Replies are queued: write them all before asking again. */
        WRITE,
        /** Read into {@link #readBuffers()}, then report with {@link #bytesRead(long)}. */
        READ,
        /** The budget has no room for the next read: wait for a grant, then ask again. */
        AWAIT_BUDGET,
        /** Close the connection: {@link #endReason()} says why (end of stream, or shutdown). */
        END
    }

    /** What the flow needs to know about the connection it serves (its drain protocol, see {@link ServedConnection}). */
    public interface Boundary {
        /** About to wait for a frame with nothing half-read; false: shutting down, stop here. */
        boolean mayWaitBetweenFrames();

        /** No longer waiting between frames. */
        void stoppedWaitingBetweenFrames();
    }

    /** Most bytes one read takes: a quarter of the JDK's IOV_MAX in chunks, and a few socket buffers' worth. */
    static final int MAX_READ = 1024 * 1024;
    /** A connection that completes frames less than this apart is busy: it reads ahead, for the frames behind the one it reads. */
    static final long BUSY_NANOS = 200_000_000L;
    private static final int CHUNK = ChunkPool.CHUNK_SIZE;

    private final FrameDecoder decoder;
    private final ChunkPool pool;
    private final BufferBudget.Account memory;
    private final ReplyQueue out;
    private final Boundary boundary;
    private final int maxPendingReplies;
    private final ByteBuffer headerSlot;

    // The chunks this connection holds, oldest first: chunks[0 .. count). The array (and the read
    // offer's) exist only while chunks are held: a quiet connection keeps neither.
    private static final Chunk[] NO_CHUNKS = {};
    private static final ByteBuffer[] NO_BUFFERS = {};
    private Chunk[] chunks = NO_CHUNKS;
    private int count;
    // The next byte to decode: chunk index and offset (index == count: none yet).
    private int decodeChunk;
    private int decodePos;
    // Where the current frame's body starts (BODY only).
    private int bodyChunk;
    private int bodyPos;
    // Where its length field started, when it was read into a chunk in one piece (-1: it was not).
    private int headerChunk = -1;
    private int headerPos;

    // The read being offered.
    private final ByteBuffer[] oneBuffer = new ByteBuffer[1];
    private ByteBuffer[] offer = NO_BUFFERS;
    private ByteBuffer[] readBuffers;
    private int readLength;
    private int offeredFrom;             // index of the first chunk offered (chunk reads)
    private long offeredBytes;
    private boolean readIntoHeader;
    private boolean readBetweenFrames;

    private int readAhead = CHUNK;       // how many bytes the next large read offers
    private int fullReads;               // reads running that filled everything offered
    private int shortReads;              // reads running that brought less than half of readAhead
    private boolean lastReadFull;
    private long lastFrameAt;
    private boolean framesSeen;
    private boolean busy;
    private Payload payload;
    private long bytesAwaited;
    private CloseReason endReason;
    private boolean released;

    /**
     * @param maxPendingReplies reply bytes owed before no further frame is taken
     * @param headerSlot        the connection's direct header slot ({@link ChunkPool#takeHeaderSlot()}); its
     *                          first 8 bytes become the length-field window
     */
    public FrameFlow(loomframe.frame.FrameFormat format, ChunkPool pool, BufferBudget.Account memory, ReplyQueue out,
                     Boundary boundary, int maxPendingReplies, ByteBuffer headerSlot) {
        this.pool = pool;
        this.memory = memory;
        this.out = out;
        this.boundary = boundary;
        this.maxPendingReplies = maxPendingReplies;
        this.headerSlot = headerSlot;
        this.decoder = new FrameDecoder(format, headerSlot == null ? null : headerSlot.slice(0, 8));
    }

    // tag::flow-next[]
    /** The next step. Call again after each one is done. */
    public Step next() throws FrameException {
        if (endReason != null) return Step.END;
        while (decodeChunk < count && decodePos < chunks[decodeChunk].filled) {   // bytes not yet decoded
            if (decoder.state() == State.HEADER && !decoder.inFrame() && out.pendingBytes() >= maxPendingReplies) {
                return Step.WRITE;                                  // enough is owed: the peer must read first
            }
            if (decode()) return Step.FRAME;
        }
        if (decoder.state() == State.BODY && decoder.bodyNeeded() == 0) {      // a zero-length frame, complete at once
            decoder.takeBody(0);
            frameComplete(0);
            return Step.FRAME;
        }
        if (!out.isEmpty()) return Step.WRITE;                      // a batch's replies go out before reading more
        payloadsDone();
        return planRead();
    }
    // end::flow-next[]

    /** Decodes from the current chunk; true when that completed a frame. */
    private boolean decode() throws FrameException {
        Chunk c = chunks[decodeChunk];
        if (decoder.state() == State.HEADER) {
            boolean fromStart = decoder.headerFilled() == 0;
            int start = decodePos;
            ByteBuffer view = c.readOnly.limit(c.filled).position(decodePos);
            boolean complete = decoder.takeHeader(view);
            headerChunk = fromStart && complete ? decodeChunk : -1;  // the whole field in this chunk
            headerPos = start;
            decodePos = view.position();
            stepPastFullChunk();
            if (complete) markBodyStart();
            if (complete && decoder.bodyNeeded() == 0) {
                decoder.takeBody(0);
                frameComplete(0);
                return true;
            }
            return false;
        }
        int length = decoder.bodyLength();
        int n = Math.min(c.filled - decodePos, decoder.bodyNeeded());
        decodePos += n;
        stepPastFullChunk();
        if (!decoder.takeBody(n)) return false;
        frameComplete(length);
        return true;
    }

    /** A read ends at most at a chunk's end: the next byte to decode is then at the start of the next chunk. */
    private void stepPastFullChunk() {
        if (decodePos == CHUNK) {
            decodeChunk++;
            decodePos = 0;
        }
    }

    /** The body starts at the next byte to decode (perhaps in a chunk not read yet). */
    private void markBodyStart() {
        bodyChunk = decodeChunk;
        bodyPos = decodePos;
    }

    private void frameComplete(int length) {
        payload = arrivedWhole(length) ? arrived(length) : length == 0 ? Payload.empty() : slice(length);
        headerChunk = -1;
        long now = System.nanoTime();
        busy = framesSeen && now - lastFrameAt < BUSY_NANOS;
        framesSeen = true;
        lastFrameAt = now;
        memory.frameDone();
    }

    /** Whether the frame's length field and body lie in one chunk, one after the other. */
    private boolean arrivedWhole(int length) {
        return headerChunk >= 0 && bodyChunk == headerChunk && bodyPos + length <= CHUNK;
    }

    private Payload arrived(int length) {
        ByteBuffer chunk = chunks[bodyChunk].readOnly;
        ByteBuffer body = chunk.limit(CHUNK).slice(bodyPos, length);
        return new ArrivedPayload(body, decoder.format(), chunk, headerPos, bodyPos + length - headerPos);
    }

    /** The {@code length} body bytes from (bodyChunk, bodyPos), as read-only views of their chunks. */
    private Payload slice(int length) {
        int parts = 0;
        for (int i = bodyChunk, pos = bodyPos, left = length; left > 0; i++, pos = 0) {
            left -= Math.min(left, CHUNK - pos);
            parts++;
        }
        ByteBuffer[] views = new ByteBuffer[parts];
        int i = bodyChunk, pos = bodyPos, left = length;
        for (int p = 0; p < parts; p++, i++, pos = 0) {
            int n = Math.min(left, CHUNK - pos);
            views[p] = chunks[i].readOnly.limit(CHUNK).slice(pos, n);    // slice() is bounded by the limit
            left -= n;
        }
        return Payload.of(views);
    }

    /** The frame of the last {@link Step#FRAME}. Valid until its replies are written and the next step is asked for. */
    public Payload payload() {
        return payload;
    }

    /** Why to close, after {@link Step#END}. */
    public CloseReason endReason() {
        return endReason;
    }

    /** {@link System#nanoTime()} when the last frame completed: the start of the next frame's deadline. */
    public long lastFrameAt() {
        return lastFrameAt;
    }

    // --- memory --------------------------------------------------------------------------------

    /**
     * Everything decoded is handed out and every reply is written: give back the chunks no frame
     * needs any more. A busy connection keeps its last chunk, emptied, to read the next frames into.
     */
    private void payloadsDone() {
        payload = null;
        int keepFrom;
        if (decoder.state() == State.BODY) {
            keepFrom = Math.min(bodyChunk, count);                  // the partial body's chunks stay
        } else {
            keepFrom = count;                                       // header bytes are copied into the decoder
            if (count > 0 && busy && memory.mayKeepSpare()) {
                chunks[count - 1].filled = 0;                       // all of it decoded: reuse it from the start
                keepFrom = count - 1;
            }
            decodeChunk = keepFrom;                                 // everything decoded: the next byte is the next read's
            decodePos = 0;
        }
        for (int i = 0; i < keepFrom; i++) giveBack(chunks[i]);
        memory.framesReleased();                                    // if one was the last in overdraft, the next may go
        if (keepFrom == 0) return;
        System.arraycopy(chunks, keepFrom, chunks, 0, count - keepFrom);
        Arrays.fill(chunks, count - keepFrom, count, null);
        count -= keepFrom;
        decodeChunk -= keepFrom;
        bodyChunk = Math.max(0, bodyChunk - keepFrom);
        headerChunk = headerChunk >= keepFrom ? headerChunk - keepFrom : -1;   // its chunk may have gone back
        if (count == 0) {                                           // gone quiet: keep no arrays either
            chunks = NO_CHUNKS;
            offer = NO_BUFFERS;
        }
    }

    private void giveBack(Chunk c) {
        if (c.small) memory.releaseSmall(CHUNK); else memory.release(CHUNK);
        pool.give(c);
    }

    // --- reading -------------------------------------------------------------------------------

    // tag::flow-plan-read[]
    /** Chooses what to read into next: the room left in the last chunk, new chunks, or the length-field window. */
    private Step planRead() {
        readBetweenFrames = !decoder.inFrame();
        if (readBetweenFrames && !boundary.mayWaitBetweenFrames()) {
            endReason = CloseReason.SHUTDOWN;                       // shutdown, nothing half-read: stop here
            return Step.END;
        }
        int room = count > 0 ? CHUNK - chunks[count - 1].filled : 0;
        if (decoder.state() == State.HEADER) {
            int added = busy ? addSpareChunks(room) : 0;            // the next frames in one read
            if (room == 0 && added == 0) return offerHeaderWindow(); // not busy: park holding no chunk
            return offerChunks(added);
        }
        long want = Math.min(decoder.bodyNeeded(), (long) readAhead) - room;
        int more = want <= 0 ? 0 : (int) ((want + CHUNK - 1) / CHUNK);
        if (more > 0) {
            long needs = ((long) decoder.bodyNeeded() - room + CHUNK - 1) / CHUNK * CHUNK;   // the rest of the frame
            long got = memory.acquire((long) more * CHUNK, CHUNK, needs);
            if (got > 0) {
                more = (int) (got / CHUNK);
                addChunks(more, false);
            } else if (decoder.bodyLength() <= CHUNK && memory.acquireSmall(CHUNK)) {
                more = 1;                                           // a small frame never waits behind large ones
                addChunks(1, true);
            } else if (room > 0) {
                more = 0;                                           // read into what is left, ask again after
            } else {
                bytesAwaited = (long) more * CHUNK;
                return Step.AWAIT_BUDGET;
            }
        }
        if (busy) more += addSpareChunks(room + more * CHUNK);     // and the frames behind this one
        return offerChunks(more);
    }

    /**
     * A busy connection reads ahead: spare chunks, so that a read offers {@code readAhead} bytes
     * even where the frame in progress ends sooner, and the frames pipelined behind it come with
     * the same read. Spare chunks come only while the budget has half its share free and nobody
     * waits ({@link BufferBudget.Account#acquireSpare}). A connection keeping no chunk gets one if
     * it can, so it never parks on its length window while busy.
     *
     * @return the chunks added
     */
    private int addSpareChunks(int offered) {
        int ahead = (Math.max(0, readAhead - offered) + CHUNK - 1) / CHUNK;
        int added = ahead > 0 && memory.acquireSpare((long) ahead * CHUNK) ? ahead
                : offered == 0 && memory.acquireSpare(CHUNK) ? 1 : 0;
        addChunks(added, false);
        return added;
    }
    // end::flow-plan-read[]

    private Step offerHeaderWindow() {
        readIntoHeader = true;
        oneBuffer[0] = decoder.headerWindow();
        readBuffers = oneBuffer;
        readLength = 1;
        offeredBytes = oneBuffer[0].remaining();
        return Step.READ;
    }

    /** Offers the room in the last chunk (if any) and the chunks just added. */
    private Step offerChunks(int added) {
        readIntoHeader = false;
        int from = count - added;
        if (from > 0 && chunks[from - 1].filled < CHUNK) from--;
        int n = count - from;
        if (offer.length < n) offer = new ByteBuffer[Math.max(n, Math.max(4, offer.length * 2))];
        offeredBytes = 0;
        for (int i = 0; i < n; i++) {
            Chunk c = chunks[from + i];
            offer[i] = c.buffer.limit(CHUNK).position(c.filled);
            offeredBytes += CHUNK - c.filled;
        }
        offeredFrom = from;
        readBuffers = offer;
        readLength = n;
        return Step.READ;
    }

    private void addChunks(int n, boolean small) {
        if (n == 0) return;
        if (chunks.length < count + n) chunks = Arrays.copyOf(chunks, Math.max(count + n, Math.max(4, chunks.length * 2)));
        pool.take(chunks, count, n);
        if (small) for (int i = 0; i < n; i++) chunks[count + i].small = true;
        count += n;
    }

    /** The buffers to read into: {@code readBuffers()[0 .. readLength())}. */
    public ByteBuffer[] readBuffers() {
        return readBuffers;
    }

    public int readOffset() {
        return 0;
    }

    public int readLength() {
        return readLength;
    }

    // tag::flow-bytes-read[]
    /**
     * Reports what the read returned: a count of bytes, or -1 at end of stream.
     *
     * @throws FrameException if the stream ended inside a frame, or a length field completed by
     *         this read breaks the format
     */
    public void bytesRead(long n) throws FrameException {
        if (readBetweenFrames) boundary.stoppedWaitingBetweenFrames();
        if (n < 0) {
            decoder.endOfStream();                                  // throws if a frame was cut short
            endReason = CloseReason.EOF;
            return;
        }
        memory.progress();
        lastReadFull = n >= offeredBytes;
        if (readIntoHeader) {
            if (decoder.headerRead((int) n)) markBodyStart();       // the body comes in the next chunks read
            headerChunk = -1;
            return;
        }
        for (int i = 0; i < readLength; i++) chunks[offeredFrom + i].filled = readBuffers[i].position();
        adaptReadAhead(n);
        releaseUnused();
    }
    // end::flow-bytes-read[]

    /**
     * A read that takes everything a read of {@code readAhead} offered doubles it (the peer sends
     * faster than we read): on a busy connection at once, since a burst of pipelined frames is
     * often one full read and a tail; otherwise after two running, since one full read may be all
     * a new peer ever sends (a peer that announced 16 MiB, sent 4 KiB and stopped pins one spare
     * chunk, not two). Two reads running that bring less than half of it halve it (one is only the
     * tail of a burst). A read offered less (the end of a frame, a budget that gave no spare chunk)
     * says nothing about the peer's pace either way.
     */
    private void adaptReadAhead(long n) {
        if (offeredBytes < readAhead) return;
        if (n >= offeredBytes) {
            shortReads = 0;
            if (++fullReads >= (busy ? 1 : 2)) readAhead = Math.min(MAX_READ, readAhead * 2);
            return;
        }
        fullReads = 0;
        if (n >= readAhead / 2) {
            shortReads = 0;
        } else if (++shortReads >= 2) {
            shortReads = 0;
            readAhead = Math.max(CHUNK, readAhead / 2);
        }
    }

    /**
     * Only the last chunk may have room: a frame's bytes run on from chunk to chunk. So after a read
     * that did not fill all it was offered, the empty chunks past the first one with room go back
     * (a peer that sent 4 KiB and stopped keeps no spare chunks for it).
     */
    private void releaseUnused() {
        int keep = offeredFrom;
        while (keep < count - 1 && chunks[keep].filled == CHUNK) keep++;
        for (int i = keep + 1; i < count; i++) {
            giveBack(chunks[i]);
            chunks[i] = null;
        }
        count = keep + 1;
    }

    /** Whether the read offered waits for the next frame of a connection that is exchanging frames quickly. */
    public boolean busyBetweenFrames() {
        return readBetweenFrames && busy;
    }

    /** What the read that had to wait for the budget asked of it. */
    public long bytesAwaited() {
        return bytesAwaited;
    }

    /** Whether the last read took everything it was offered: the kernel probably had more. */
    public boolean lastReadFull() {
        return lastReadFull;
    }

    /** Whether part of a frame has arrived and not all of it. */
    public boolean inFrame() {
        return decoder.inFrame();
    }

    // --- describing and ending -------------------------------------------------------------------

    /** How far the current frame got, for log lines: {@code "body after 17 of 1024 bytes"}. */
    public String progress() {
        return decoder.progress();
    }

    /** Bytes of chunks held now. */
    public long heldBytes() {
        return (long) count * CHUNK;
    }

    /** Gives every chunk and the header slot back: the connection is closing. Idempotent. */
    public void release() {
        if (released) return;
        released = true;
        for (int i = 0; i < count; i++) {
            giveBack(chunks[i]);
            chunks[i] = null;
        }
        count = 0;
        payload = null;
        if (headerSlot != null) pool.giveHeaderSlot(headerSlot);
    }
}
