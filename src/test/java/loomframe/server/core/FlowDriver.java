package loomframe.server.core;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import loomframe.frame.FrameFormat;
import loomframe.server.FrameHandler;
import loomframe.server.Payload;
import loomframe.server.core.FrameFlow.Step;

/**
 * Drives a {@link FrameFlow} the way a connection does, without a socket, in the manner of Netty's
 * {@code EmbeddedChannel}: reads come from {@link Source} pieces (a read returns at most the rest of
 * one piece, as a socket returns what has arrived), replies are "written" into a byte sink, and
 * the test sees every step.
 */
final class FlowDriver implements FrameFlow.Boundary, AutoCloseable {
    final FrameFormat format;
    final ChunkPool pool;
    final BufferBudget budget;
    final BufferBudget.Account account;
    final ReplyQueue out;
    final FrameFlow flow;
    final ByteArrayOutputStream written = new ByteArrayOutputStream();
    final List<byte[]> frames = new ArrayList<>();
    final List<Step> steps = new ArrayList<>();
    FrameHandler handler = FrameHandler.echo();
    boolean draining;
    boolean parkedBetweenFrames;
    /** When false, WRITE steps write nothing: a peer that does not read its replies. */
    boolean peerReads = true;

    FlowDriver(FrameFormat format, long maxBuffered, int maxPendingReplies) {
        this(format, new BufferBudget(maxBuffered, format.maxFrame(), Math.max(64 * 1024, maxBuffered / 16)), maxPendingReplies);
    }

    FlowDriver(FrameFormat format, BufferBudget budget, int maxPendingReplies) {
        this(format, budget, new ChunkPool(budget.bound()), maxPendingReplies);
    }

    FlowDriver(FrameFormat format, BufferBudget budget, ChunkPool pool, int maxPendingReplies) {
        this.format = format;
        this.budget = budget;
        this.pool = pool;
        this.account = budget.open();
        ByteBuffer slot = pool.takeHeaderSlot();
        this.out = new ReplyQueue(format, slot.slice(8, ChunkPool.HEADER_SLOT - 8));
        this.flow = new FrameFlow(format, pool, account, out, this, maxPendingReplies, slot);
    }

    /** Bytes a test delivers: each read takes at most the rest of the current piece. */
    static final class Source {
        private final ArrayDeque<ByteBuffer> pieces = new ArrayDeque<>();
        boolean endOfStream;

        Source add(byte[] wire, int... cuts) {
            int from = 0;
            for (int cut : cuts) {
                if (cut <= from || cut >= wire.length) continue;
                pieces.add(ByteBuffer.wrap(wire, from, cut - from));
                from = cut;
            }
            if (from < wire.length) pieces.add(ByteBuffer.wrap(wire, from, wire.length - from));
            return this;
        }

        Source end() {
            endOfStream = true;
            return this;
        }

        boolean hasMore() {
            return !pieces.isEmpty() || endOfStream;
        }

        long read(ByteBuffer[] into, int offset, int length) {
            ByteBuffer piece = pieces.peek();
            if (piece == null) {
                endOfStream = false;
                return -1;
            }
            long n = 0;
            for (int i = offset; i < offset + length && piece.hasRemaining(); i++) {
                int k = Math.min(into[i].remaining(), piece.remaining());
                into[i].put(piece.slice(piece.position(), k));
                piece.position(piece.position() + k);
                n += k;
            }
            if (!piece.hasRemaining()) pieces.poll();
            return n;
        }
    }

    /** Runs steps until the flow must wait: it wants to read and the source has nothing now, the budget, or the end. */
    Step run(Source source) throws Exception {
        while (true) {
            Step step = flow.next();
            steps.add(step);
            switch (step) {
                case FRAME -> {
                    Payload p = flow.payload();
                    frames.add(p.toArray());
                    handler.handle(p, out);
                }
                case WRITE -> {
                    if (!peerReads) return step;
                    writeAll();
                }
                case READ -> {
                    if (!source.hasMore()) return step;
                    flow.bytesRead(source.read(flow.readBuffers(), flow.readOffset(), flow.readLength()));
                }
                case AWAIT_BUDGET, END -> {
                    return step;
                }
            }
        }
    }

    void writeAll() {
        long n = 0;
        ByteBuffer[] buffers = out.buffers();
        for (int i = out.offset(), end = out.offset() + out.writeLength(); i < end; i++) {
            ByteBuffer b = buffers[i];
            byte[] bytes = new byte[b.remaining()];
            b.get(bytes);
            written.writeBytes(bytes);
            n += bytes.length;
        }
        out.written(n);
    }

    @Override
    public boolean mayWaitBetweenFrames() {
        parkedBetweenFrames = true;
        if (!draining) return true;
        parkedBetweenFrames = false;
        return false;
    }

    @Override
    public void stoppedWaitingBetweenFrames() {
        parkedBetweenFrames = false;
    }

    @Override
    public void close() {
        flow.release();
        out.clear();
        account.close();
    }
}
