package loomframe.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.List;
import loomframe.TestWire;
import loomframe.frame.FrameFormat;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

@Timeout(30)
class SmokeTest {
    @ParameterizedTest
    @EnumSource(Impl.class)
    void echoesAFewFrames(Impl impl) throws Exception {
        try (Server server = Server.start(ServerConfig.builder().impl(impl).port(0).build());
             TestWire wire = new TestWire(server.port(), FrameFormat.DEFAULT)) {
            byte[] a = "hello".getBytes(), b = new byte[0], c = new byte[100_000];
            wire.write(TestWire.encodeAll(FrameFormat.DEFAULT, List.of(a, b, c)));
            assertArrayEquals(a, wire.readFrame());
            assertArrayEquals(b, wire.readFrame());
            assertArrayEquals(c, wire.readFrame());
            System.out.println(impl + " " + server.stats());
        }
    }
}
