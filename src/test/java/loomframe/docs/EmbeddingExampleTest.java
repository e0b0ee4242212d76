package loomframe.docs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import loomframe.TestWire;
import loomframe.frame.FrameFormat;
import loomframe.server.Server;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(20)
class EmbeddingExampleTest {
    @Test
    void theReadmeExampleServesUpperCasedEchoes() throws Exception {
        try (Server server = EmbeddingExample.startUpperCaseServer();
             var client = new TestWire(server.port(), FrameFormat.DEFAULT)) {
            client.write(FrameFormat.DEFAULT.encode("hello".getBytes()));
            assertArrayEquals("HELLO".getBytes(), client.readFrame());
        }
    }

    @Test
    void theReadmeWaitingHandlersAnswerInEachOfTheirThreeWays() throws Exception {
        for (Server server : EmbeddingExample.startWaitingServers()) {
            try (server; var client = new TestWire(server.port(), FrameFormat.DEFAULT)) {
                client.write(TestWire.encodeAll(FrameFormat.DEFAULT, java.util.List.of("a".getBytes(), "b".getBytes())));
                assertArrayEquals("a".getBytes(), client.readFrame(), server.config().impl() + " " + server.config().handlerThreads());
                assertArrayEquals("b".getBytes(), client.readFrame());
            }
        }
    }
}
