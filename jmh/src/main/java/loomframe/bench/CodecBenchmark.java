package loomframe.bench;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;
import loomframe.frame.FrameDecoder;
import loomframe.frame.FrameException;
import loomframe.frame.FrameFormat;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/*
 * The frame codec alone, without a socket: what framing costs apart from the network.
 *
 * WHAT IS MEASURED (average time per operation, ns)
 *   encodeHeader   FrameFormat.encodeHeader(200, buffer): one length field written, for each width
 *                  (1, 2, 4, 8 bytes) and byte order (big, little). 200 fits every width.
 *   decodeHeader   FrameFormat.decodeHeader(bytes): one length field read and checked against
 *                  the maximum frame, same widths and orders.
 *   assemble       one frame of `frame` payload bytes (default format) walked by a FrameDecoder in
 *                  reads of `chunk` bytes, as TCP may deliver it: the length field taken from the
 *                  reads, the body counted as it passes (the decoder keeps no payload bytes; a
 *                  server's payload is a view of the chunks it read into). chunk 0 means the whole
 *                  frame in one read; chunk 1 is the worst case a trickling peer can force; 1460 is
 *                  one Ethernet MSS.
 *
 * WHY COMPARABLE
 *   One thread, no I/O, the same bytes every time; the widths and orders differ only in the
 *   format record. Each result is returned or consumed by a Blackhole so nothing is optimised away.
 *
 * WHAT 2 CORES DO
 *   Little: single-threaded, but other processes on the box still steal time; keep runs short and
 *   compare within one run.
 *
 * HOW TO RUN
 *   ./mvnw -B -f jmh/pom.xml package
 *   jmh/bench Codec -f 1 -wi 2 -i 3 -w 1s -r 1s -rf json -rff jmh/results/codec.json
 *   jmh/bench 'Codec.assemble' -p frame=65536 -p chunk=1,1460
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgs = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
public class CodecBenchmark {

    @State(Scope.Thread)
    public static class Header {
        @Param({"1", "2", "4", "8"})
        public int width;

        @Param({"big", "little"})
        public String order;

        FrameFormat format;
        ByteBuffer out;
        byte[] encoded;

        @Setup
        public void setUp() {
            format = FrameFormat.DEFAULT
                    .withLengthBytes(width)
                    .withOrder(order.equals("little") ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN);
            out = ByteBuffer.allocate(8);
            ByteBuffer b = ByteBuffer.allocate(width);
            format.encodeHeader(200, b);
            encoded = b.array();
        }
    }

    @Benchmark
    public ByteBuffer encodeHeader(Header h) {
        h.format.encodeHeader(200, h.out.clear());
        return h.out;
    }

    @Benchmark
    public int decodeHeader(Header h) throws FrameException {
        return h.format.decodeHeader(h.encoded);
    }

    @State(Scope.Thread)
    public static class Assembly {
        @Param({"1024", "65536"})
        public int frame;

        /** Bytes per read; 0 = the whole frame in one read. */
        @Param({"0", "1", "16", "1460"})
        public int chunk;

        ByteBuffer[] reads;
        FrameDecoder decoder;

        @Setup(Level.Trial)
        public void setUp() {
            byte[] wire = FrameFormat.DEFAULT.encode(new byte[frame]);
            int step = chunk == 0 ? wire.length : chunk;
            int count = (wire.length + step - 1) / step;
            reads = new ByteBuffer[count];
            for (int i = 0; i < count; i++) {
                int from = i * step;
                reads[i] = ByteBuffer.wrap(wire, from, Math.min(step, wire.length - from)).slice();
            }
            decoder = new FrameDecoder(FrameFormat.DEFAULT);
        }
    }

    @Benchmark
    public int assemble(Assembly a) throws FrameException {
        FrameDecoder d = a.decoder;
        int frames = 0;
        for (ByteBuffer read : a.reads) {
            read.rewind();
            while (read.hasRemaining()) {
                if (d.state() == FrameDecoder.State.HEADER) {
                    if (d.takeHeader(read) && d.bodyNeeded() == 0 && d.takeBody(0)) frames++;
                } else {
                    int n = Math.min(read.remaining(), d.bodyNeeded());
                    read.position(read.position() + n);
                    if (d.takeBody(n)) frames++;
                }
            }
        }
        if (frames != 1) throw new IllegalStateException("decoder found " + frames + " frames in one frame of " + a.frame + " bytes");
        return frames;
    }
}
