package loomframe.server.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import loomframe.TestWire;
import loomframe.frame.FrameException;
import loomframe.frame.FrameFormat;
import loomframe.server.core.FlowDriver.Source;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * Property-based tests of the wire format and the read policy together (jqwik shrinks a failure to
 * a minimal stream and prints the seed that replays it): any byte stream, cut anywhere, gives frames
 * or a {@link FrameException} and nothing else; memory at rest follows what arrived; nothing leaks.
 */
class FrameFlowPropertiesTest {
    private static final int CHUNK = ChunkPool.CHUNK_SIZE;

    @Provide
    Arbitrary<FrameFormat> formats() {
        return Combinators.combine(Arbitraries.of(1, 2, 4, 8), Arbitraries.of(ByteOrder.BIG_ENDIAN, ByteOrder.LITTLE_ENDIAN),
                        Arbitraries.of(true, false), Arbitraries.integers().between(0, 300_000))
                .as(FrameFormat::new);
    }

    @Provide
    Arbitrary<List<byte[]>> payloads() {
        Arbitrary<Integer> sizes = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(6, Arbitraries.integers().between(0, 300)),
                net.jqwik.api.Tuple.of(2, Arbitraries.of(CHUNK - 5, CHUNK - 4, CHUNK - 3, CHUNK, CHUNK + 1)),
                net.jqwik.api.Tuple.of(1, Arbitraries.integers().between(0, 70_000)));
        return sizes.map(n -> new byte[n]).list().ofMaxSize(8);
    }

    /** Any bytes, cut anywhere: frames or a FrameException, never another exception; everything given back after. */
    @Property(tries = 400)
    void anyByteStreamGivesFramesOrAFrameException(@ForAll("formats") FrameFormat format,
                                                    @ForAll @Size(max = 20_000) byte[] wire,
                                                    @ForAll @Size(max = 12) List<@IntRange(min = 1, max = 20_000) Integer> cuts) throws Exception {
        try (var d = new FlowDriver(format, 64L << 20, 1 << 20)) {
            try {
                d.run(new Source().add(wire, sorted(cuts)).end());
            } catch (FrameException refused) {
                // what a peer sending garbage gets
            }
            d.close();
            assertEquals(0, d.pool.chunksInUse(), "every chunk back in the pool");
            assertEquals(0, d.budget.used(), "every byte back in the budget");
        }
    }

    /** Valid frames, cut anywhere: each echoed once, in order. */
    @Property(tries = 300)
    void validFramesAreEchoedOnceInOrderHoweverCut(@ForAll("formats") FrameFormat any, @ForAll("payloads") List<byte[]> payloads,
                                                    @ForAll @Size(max = 16) List<@IntRange(min = 1, max = 600_000) Integer> cuts) throws Exception {
        FrameFormat format = any.withMaxFrame(FrameFormat.DEFAULT_MAX_FRAME);
        List<byte[]> frames = new ArrayList<>();
        for (byte[] p : payloads) if (p.length <= format.largestEncodablePayload()) frames.add(fill(p));
        byte[] wire = TestWire.encodeAll(format, frames);
        try (var d = new FlowDriver(format, 64L << 20, 1 << 20)) {
            d.run(new Source().add(wire, sorted(cuts)).end());
            assertEquals(frames.size(), d.frames.size());
            for (int i = 0; i < frames.size(); i++) assertArrayEquals(frames.get(i), d.frames.get(i), "frame " + i);
            assertArrayEquals(wire, d.written.toByteArray(), "the echoes, byte for byte");
        }
    }

    /**
     * A frame that announces up to 16 MiB and sends part of it holds, at rest, what arrived in whole
     * chunks plus the read it waits on: one chunk, or twice what its recent reads brought.
     */
    @Property(tries = 300)
    void memoryAtRestFollowsTheBytesThatArrived(@ForAll @IntRange(min = 1, max = 16 << 20) int announced,
                                                 @ForAll @IntRange(min = 0, max = 200_000) int sent,
                                                 @ForAll @Size(max = 30) List<@IntRange(min = 1, max = 200_004) Integer> cuts) throws Exception {
        sent = Math.min(sent, announced - 1);
        byte[] wire = java.nio.ByteBuffer.allocate(4 + sent).putInt(announced).array();
        try (var d = new FlowDriver(FrameFormat.DEFAULT, 64L << 20, 1 << 20)) {
            d.run(new Source().add(wire, sorted(cuts)));
            long arrived = (sent + CHUNK - 1L) / CHUNK * CHUNK;
            long bound = arrived + CHUNK + Math.max(CHUNK, 2L * sent);
            assertTrue(d.flow.heldBytes() <= bound, "held " + d.flow.heldBytes() + " for " + sent + " of " + announced);
        }
    }

    private static byte[] fill(byte[] p) {
        for (int i = 0; i < p.length; i++) p[i] = (byte) (i * 31 + p.length);
        return p;
    }

    private static int[] sorted(List<Integer> cuts) {
        return cuts.stream().mapToInt(Integer::intValue).sorted().distinct().toArray();
    }
}
