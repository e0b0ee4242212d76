package loomframe.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.List;
import loomframe.Loomframe;
import loomframe.TestTls;
import loomframe.TestWire;
import loomframe.frame.FrameFormat;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

@Timeout(60)
class TlsSmokeTest {
    @ParameterizedTest
    @EnumSource(Impl.class)
    void echoes(Impl impl) throws Exception {
        try (Server server = Loomframe.start(ServerConfig.builder().impl(impl).port(0).tls(TestTls.server(false)).build());
             var c = new TestWire(server.port(), FrameFormat.DEFAULT, TestTls.client(false))) {
            byte[] f = "hello".getBytes();
            c.write(FrameFormat.DEFAULT.encode(f));
            assertArrayEquals(f, c.readFrame());
            byte[] big = new byte[200_000];
            new java.util.Random(1).nextBytes(big);
            c.writeCut(TestWire.encodeAll(FrameFormat.DEFAULT, List.of(big, f, big)), 3, 50_000);
            assertArrayEquals(big, c.readFrame());
            assertArrayEquals(f, c.readFrame());
            assertArrayEquals(big, c.readFrame());
        }
    }
}
