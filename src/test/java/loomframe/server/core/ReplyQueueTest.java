package loomframe.server.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Random;
import loomframe.TestWire;
import loomframe.frame.FrameFormat;
import loomframe.server.Payload;
import org.junit.jupiter.api.Test;

/** The replies of a batch: their bytes, in order, in few gathering writes, however the writes are cut. */
class ReplyQueueTest {
    private static final FrameFormat FORMAT = FrameFormat.DEFAULT;

    /** Writes what the queue offers, at most {@code max} bytes per write, as a gathering channel would. */
    private static byte[] drain(ReplyQueue q, int max, int[] writes) {
        var out = new ByteArrayOutputStream();
        while (!q.isEmpty()) {
            out.writeBytes(drainOnce(q, max));
            writes[0]++;
        }
        return out.toByteArray();
    }

    @Test
    void writesEveryReplyWithItsLengthFieldInOrderOneBatchInOneWrite() {
        var q = new ReplyQueue(FORMAT, ByteBuffer.allocateDirect(64));
        List<byte[]> replies = List.of("one".getBytes(), new byte[0], "three".getBytes());
        q.reply(replies.get(0));
        q.reply(Payload.of(replies.get(1)));
        q.reply(ByteBuffer.wrap(replies.get(2)));
        assertEquals(3 * 4 + 8, q.pendingBytes());
        int[] writes = {0};
        assertArrayEquals(TestWire.encodeAll(FORMAT, replies), drain(q, Integer.MAX_VALUE, writes));
        assertEquals(1, writes[0], "one gathering write for the batch");
        assertEquals(3, q.takeRepliesWritten());
        assertEquals(0, q.takeRepliesWritten(), "counted once");
        assertEquals(0, q.pendingBytes());
    }

    @Test
    void survivesWritesCutAnywhereAndCountsRepliesOnceAllAreOut() {
        var random = new Random(7);
        var q = new ReplyQueue(FORMAT, ByteBuffer.allocateDirect(16));    // room for 4 headers, then heap ones
        List<byte[]> replies = new java.util.ArrayList<>();
        for (int i = 0; i < 40; i++) replies.add(TestWire.randomBytes(random, random.nextInt(3000)));
        for (byte[] r : replies) q.reply(Payload.of(ByteBuffer.wrap(r)));
        var out = new ByteArrayOutputStream();
        while (!q.isEmpty()) {
            out.writeBytes(drainOnce(q, 1 + random.nextInt(5000)));
            assertTrue(q.isEmpty() || q.takeRepliesWritten() == 0, "no reply counted before the queue is empty");
        }
        assertArrayEquals(TestWire.encodeAll(FORMAT, replies), out.toByteArray());
        assertEquals(40, q.takeRepliesWritten());
    }

    private static byte[] drainOnce(ReplyQueue q, int max) {
        var out = new ByteArrayOutputStream();
        ByteBuffer[] buffers = q.buffers();
        long n = 0;
        for (int i = q.offset(), end = q.offset() + q.writeLength(); i < end && n < max; i++) {
            ByteBuffer b = buffers[i];
            int k = (int) Math.min(b.remaining(), max - n);
            byte[] bytes = new byte[k];
            b.get(bytes);
            out.writeBytes(bytes);
            n += k;
        }
        q.written(n);
        return out.toByteArray();
    }

    @Test
    void echoesAPayloadOfManyPartsWithoutCopyingThem() {
        ByteBuffer a = ByteBuffer.allocateDirect(10), b = ByteBuffer.allocateDirect(20);
        Payload p = Payload.of(a, b);
        var q = new ReplyQueue(FORMAT, ByteBuffer.allocateDirect(8));
        q.reply(p);
        assertEquals(3, q.writeLength(), "its length field and its two parts");
        assertTrue(q.buffers()[1].isDirect() && q.buffers()[2].isDirect(), "views of the parts themselves");
        q.reply(p);
        int[] writes = {0};
        assertEquals(2 * (4 + 30), drain(q, Integer.MAX_VALUE, writes).length, "the same payload twice: each reply has its own positions");
    }

    @Test
    void cutsLargeHeapRepliesIntoBoundedPiecesAndBoundsEachWrite() {
        var q = new ReplyQueue(FORMAT);
        byte[] big = new byte[3 * ReplyQueue.HEAP_CHUNK + 5];
        q.reply(big);
        q.reply(big);
        long heapInWrite = 0;
        for (int i = q.offset(); i < q.offset() + q.writeLength(); i++) heapInWrite += q.buffers()[i].remaining();
        assertTrue(heapInWrite <= ReplyQueue.WRITE_WINDOW + ReplyQueue.HEAP_CHUNK, "one write takes " + heapInWrite + " heap bytes");
        for (int i = 0; i < q.offset() + q.writeLength(); i++) {
            assertTrue(q.buffers()[i].remaining() <= ReplyQueue.HEAP_CHUNK, "no piece above the heap chunk");
        }
        int[] writes = {0};
        byte[] out = drain(q, Integer.MAX_VALUE, writes);
        assertEquals(2 * (4 + big.length), out.length);
        assertTrue(writes[0] > 1, "several bounded writes");
    }

    @Test
    void refusesAReplyAboveTheMaximumFrame() {
        var q = new ReplyQueue(FORMAT.withMaxFrame(10));
        var e = assertThrows(IllegalArgumentException.class, () -> q.reply(new byte[11]));
        assertEquals("reply of 11 bytes exceeds --max-frame 10", e.getMessage());
        assertTrue(q.isEmpty());
    }

    @Test
    void saysHowMuchIsUnsentForTheIdleLogLine() {
        var q = new ReplyQueue(FORMAT);
        assertEquals("", q.describeUnsent());
        q.reply(new byte[100]);
        assertEquals("; 104 reply bytes unsent (peer not reading)", q.describeUnsent());
        q.clear();
        assertTrue(q.isEmpty());
        assertEquals(0, q.pendingBytes());
    }
}
