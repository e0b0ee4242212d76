package loomframe.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.nio.ByteOrder;
import java.time.Duration;
import loomframe.Loomframe;
import loomframe.frame.FrameFormat;
import loomframe.frame.TruncatedFrameException;
import loomframe.server.Impl;
import loomframe.server.Server;
import loomframe.server.ServerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

@Timeout(30)
class FrameClientTest {

    @ParameterizedTest
    @EnumSource(Impl.class)
    void echoesFramesOfEverySizeThroughEachServer(Impl impl) throws Exception {
        var format = FrameFormat.DEFAULT.withLengthBytes(2).withOrder(ByteOrder.LITTLE_ENDIAN).withMaxFrame(60_000);
        try (Server server = Loomframe.start(ServerConfig.builder().impl(impl).port(0).format(format).build());
             var client = FrameClient.connect("127.0.0.1", server.port(), format, Duration.ofSeconds(10))) {
            for (byte[] payload : new byte[][] {new byte[0], "hello".getBytes(), new byte[60_000]}) {
                client.send(payload);
                assertArrayEquals(payload, client.receive());
            }
        }
    }

    @Test
    void receiveReturnsNullWhenTheServerClosesBetweenFrames() throws Exception {
        try (var server = StandInServer.closesWithoutReply(FrameFormat.DEFAULT);
             var client = FrameClient.connect("127.0.0.1", server.port(), FrameFormat.DEFAULT, Duration.ofSeconds(10))) {
            client.send(new byte[] {1, 2, 3});
            assertNull(client.receive());
        }
    }

    @Test
    void receiveThrowsWhenTheStreamEndsInsideAReply() throws Exception {
        try (var listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Thread.ofVirtual().start(() -> {
                try (var s = listener.accept()) {
                    OutputStream out = s.getOutputStream();
                    out.write(new byte[] {0, 0, 0, 10, 1, 2, 3});  // announces 10 bytes, sends 3
                    out.flush();
                } catch (Exception ignored) {
                    // the test fails on the client side if this goes wrong
                }
            });
            try (var client = FrameClient.connect("127.0.0.1", listener.getLocalPort(), FrameFormat.DEFAULT, Duration.ofSeconds(10))) {
                var e = assertThrows(TruncatedFrameException.class, client::receive);
                org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("3 of 10"), e.getMessage());
            }
        }
    }

    @Test
    void receiveTimesOutOnASilentServer() throws Exception {
        try (var listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             var client = FrameClient.connect("127.0.0.1", listener.getLocalPort(), FrameFormat.DEFAULT, Duration.ofMillis(200))) {
            assertThrows(SocketTimeoutException.class, client::receive);
        }
    }
}
