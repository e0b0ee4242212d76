package loomframe.docs;

import static java.nio.charset.StandardCharsets.UTF_8;

import loomframe.Loomframe;
import loomframe.server.FrameHandler;
import loomframe.server.Impl;
import loomframe.server.Server;
import loomframe.server.ServerConfig;

/** The README's embedding example, compiled and run by {@link EmbeddingExampleTest} so it cannot rot. */
final class EmbeddingExample {

    static Server startUpperCaseServer() throws Exception {
        // tag::embedding[]
        FrameHandler upperCase = (payload, replies) -> {      // called once per frame, in order
            String text = payload.toString(UTF_8);
            replies.reply(text.toUpperCase().getBytes(UTF_8));
        };
        Server server = Loomframe.start(ServerConfig.builder()
                .impl(Impl.BLOCKING)                          // or Impl.ASYNC, Impl.PLATFORM
                .handler(upperCase)
                .port(0)                                      // any free port
                .build());
        System.out.println("listening on " + server.address() + ", so far " + server.stats().frames() + " frames");
        // ... and server.close() stops accepting, lets frames in progress finish, and closes.
        // end::embedding[]
        return server;
    }
}
