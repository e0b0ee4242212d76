package loomframe.docs;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import loomframe.Loomframe;
import loomframe.Poll;
import loomframe.TestWire;
import loomframe.frame.FrameFormat;
import loomframe.server.CloseReason;
import loomframe.server.Impl;
import loomframe.server.Server;
import loomframe.server.ServerConfig;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The three known flaws of the C# callback sample loomframe descends from (see
 * {@code docs/COMPARISON.md}, "The ancestor's three flaws"), each shown twice:
 * <ul>
 *   <li>on {@link AncestorModel}, a few lines of Java that follow the ancestor's receive logic, fed
 *       the same reads TCP could deliver: the failure mode;</li>
 *   <li>on every loomframe implementation over a real socket, in the ancestor's own wire format
 *       (4-byte little-endian length): the fix.</li>
 * </ul>
 */
@Timeout(60)
class AncestorFlawsTest {
    private static final FrameFormat CSHARP = FrameFormat.CSHARP_SAMPLE;

    /**
     * The ancestor's per-connection state and read callback, modelled: a flag "size known", the
     * size, the bytes collected so far. Each call to {@link #bytesRead} is one completed receive
     * holding {@code read}; the model says whether it would issue another receive or finish.
     * Written from the algorithm's description, for demonstration only: no socket, no C#.
     */
    static final class AncestorModel {
        enum Next { RECEIVE_AGAIN, MESSAGE_COMPLETE_AND_CLOSE }

        boolean sizeKnown;
        int size;
        final ByteArrayOutputStream data = new ByteArrayOutputStream();

        Next bytesRead(byte[] read) {
            int offset = 0;
            int count = read.length;
            if (!sizeKnown && count >= 4) {          // the prefix is looked for only at the start of a read
                size = ByteBuffer.wrap(read, 0, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();  // signed, no limit
                sizeKnown = true;
                offset = 4;
                count -= 4;
            }
            data.write(read, offset, count);         // a short first read lands here, as if it were data
            return data.size() == size ? Next.MESSAGE_COMPLETE_AND_CLOSE : Next.RECEIVE_AGAIN;  // exactly equal, or wait
        }
    }

    // --- flaw 1: a first read shorter than the 4-byte prefix -----------------------------------

    @Nested
    class PrefixSplitAcrossReads {
        @Test
        void theAncestorTakesTheSizeFromTheWrongBytesWhenThePrefixArrivesInTwoReads() {
            byte[] wire = CSHARP.encode("hello".getBytes(US_ASCII));          // 05 00 00 00 h e l l o
            var ancestor = new AncestorModel();
            assertEquals(AncestorModel.Next.RECEIVE_AGAIN, ancestor.bytesRead(Arrays.copyOfRange(wire, 0, 2)));
            AncestorModel.Next next = ancestor.bytesRead(Arrays.copyOfRange(wire, 2, wire.length));
            assertNotEquals(5, ancestor.size, "the size came from bytes 2..5 of the stream, not 0..3");
            assertEquals(AncestorModel.Next.RECEIVE_AGAIN, next, "and it waits for a message that never ends");
        }

        @ParameterizedTest
        @EnumSource(Impl.class)
        void readsAPrefixThatArrivesOneTwoOrThreeBytesFirst(Impl impl) throws Exception {
            byte[] payload = "hello".getBytes(US_ASCII);
            byte[] wire = CSHARP.encode(payload);
            try (Server server = start(impl, CSHARP); var client = new TestWire(server.port(), CSHARP)) {
                for (int firstRead = 1; firstRead < 4; firstRead++) {
                    client.writeCut(wire, firstRead);                            // e.g. 05 00 | 00 00 h e l l o
                    assertArrayEquals(payload, client.readFrame(), "prefix cut after " + firstRead + " bytes");
                }
                client.writeCut(wire, 1, 2, 3, 4);                              // one byte per read, then the body
                assertArrayEquals(payload, client.readFrame(), "prefix one byte at a time");
            }
        }
    }

    // --- flaw 2: the announced size is trusted -------------------------------------------------

    @Nested
    class AnnouncedSizeTrusted {
        @Test
        void theAncestorAcceptsMinusOneAndKeepsEveryByteThatFollows() {
            var ancestor = new AncestorModel();
            byte[] minusOne = {-1, -1, -1, -1};                                 // a signed int32 of -1, little-endian
            ancestor.bytesRead(concat(minusOne, new byte[512]));
            for (int i = 0; i < 100; i++) ancestor.bytesRead(new byte[512]);
            assertEquals(-1, ancestor.size, "a negative size is taken as it is");
            assertEquals(512 * 101, ancestor.data.size(), "every byte sent is kept, and the message never completes");
        }

        @ParameterizedTest
        @EnumSource(Impl.class)
        void refusesMinusOneAsFourGigabytesAboveMaxFrameAndHoldsNothing(Impl impl) throws Exception {
            try (Server server = start(impl, CSHARP)) {
                assertRefusedAsTooLarge(server, new byte[] {-1, -1, -1, -1, 1, 2, 3});
                assertEquals(0, server.stats().bufferedBytes(), "no body buffer was ever allocated");
            }
        }

        @ParameterizedTest
        @EnumSource(Impl.class)
        void refusesASizeAboveMaxFrameBeforeReadingItsBody(Impl impl) throws Exception {
            FrameFormat format = CSHARP.withMaxFrame(64 * 1024);
            try (Server server = start(impl, format)) {
                byte[] tooLarge = TestWire.rawHeader(4, ByteOrder.LITTLE_ENDIAN, 64 * 1024 + 1);
                assertRefusedAsTooLarge(server, concat(tooLarge, new byte[100]));
                assertEquals(0, server.stats().bufferedBytes(), "no body buffer was ever allocated");
            }
        }

        private void assertRefusedAsTooLarge(Server server, byte[] bad) throws Exception {
            try (var peer = new TestWire(server.port(), server.config().format())) {
                peer.write(bad);
                assertTrue(peer.closedByServer(), "the connection is closed");
            }
            Poll.until(() -> server.stats().toString(), () -> server.stats().closed(CloseReason.TOO_LARGE) == 1);
        }
    }

    // --- flaw 3: one message per connection, completed only on an exact byte count --------------

    @Nested
    class OneMessagePerConnection {
        @Test
        void theAncestorWaitsForeverWhenTheReadThatEndsAMessageAlsoCarriesTheNext() {
            byte[] twoMessages = concat(CSHARP.encode("hello".getBytes(US_ASCII)), CSHARP.encode("abc".getBytes(US_ASCII)));
            var ancestor = new AncestorModel();
            assertEquals(AncestorModel.Next.RECEIVE_AGAIN, ancestor.bytesRead(twoMessages),
                    "12 bytes after the prefix is not exactly 5: the first message is never delivered");
        }

        @Test
        void theAncestorClosesAfterItsFirstMessage() {
            var ancestor = new AncestorModel();
            assertEquals(AncestorModel.Next.MESSAGE_COMPLETE_AND_CLOSE, ancestor.bytesRead(CSHARP.encode("hello".getBytes(US_ASCII))));
        }

        @ParameterizedTest
        @EnumSource(Impl.class)
        void echoesEveryFrameWhenOneReadCarriesAFrameAndTheStartOfTheNext(Impl impl) throws Exception {
            byte[] first = "hello".getBytes(US_ASCII);
            byte[] second = "abc".getBytes(US_ASCII);
            byte[] wire = concat(CSHARP.encode(first), CSHARP.encode(second));
            try (Server server = start(impl, CSHARP); var client = new TestWire(server.port(), CSHARP)) {
                client.out.write(wire, 0, 11);                                   // frame 1 whole + 2 bytes of frame 2's prefix
                client.out.flush();
                assertArrayEquals(first, client.readFrame(), "frame 1 answered while frame 2 is still arriving");
                client.out.write(wire, 11, wire.length - 11);
                client.out.flush();
                assertArrayEquals(second, client.readFrame());
            }
        }

        @ParameterizedTest
        @EnumSource(Impl.class)
        void servesManyFramesOnOneConnectionAndStaysOpen(Impl impl) throws Exception {
            List<byte[]> frames = List.of("one".getBytes(US_ASCII), new byte[0], "three".getBytes(US_ASCII));
            try (Server server = start(impl, CSHARP); var client = new TestWire(server.port(), CSHARP)) {
                for (int round = 0; round < 3; round++) {
                    client.write(TestWire.encodeAll(CSHARP, frames));             // three frames in one write
                    for (byte[] f : frames) assertArrayEquals(f, client.readFrame(), "round " + round);
                }
                assertEquals(9, server.stats().frames());
                assertEquals(1, server.stats().openConnections(), "still open after every reply");
            }
        }
    }

    // --- helpers ----------------------------------------------------------------------------------

    private static Server start(Impl impl, FrameFormat format) throws Exception {
        return Loomframe.start(ServerConfig.builder().impl(impl).port(0).format(format).build());
    }

    private static byte[] concat(byte[] a, byte[] b) {
        return TestWire.concat(List.of(a, b));
    }

}
