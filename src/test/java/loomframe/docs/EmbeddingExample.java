package loomframe.docs;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import loomframe.Loomframe;
import loomframe.server.AsyncFrameHandler;
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

    /**
     * A handler that waits on a backend, in the three ways the servers can run it. The "backend" is a
     * lookup that takes 10 ms: in the blocking form it simply blocks, in the asynchronous one a
     * stage completes later; offloading runs the blocking form on a pool of the async server's own.
     */
    static List<Server> startWaitingServers() throws Exception {
        // tag::embedding-waiting[]
        // 1. Blocking form: on --impl blocking (or platform) the call just blocks its thread.
        FrameHandler lookup = (payload, replies) -> {
            Thread.sleep(10);                                 // a database call, a blocking client ...
            replies.reply(payload);
        };
        Server blocking = Loomframe.start(ServerConfig.builder().impl(Impl.BLOCKING).handler(lookup).port(0).build());

        // 2. Asynchronous form: on --impl async, start the work and complete a stage when replied.
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
        AsyncFrameHandler asyncLookup = (payload, replies) -> {
            var replied = new CompletableFuture<Void>();
            timer.schedule(() -> {                            // a non-blocking client's callback ...
                replies.reply(payload);
                replied.complete(null);
            }, 10, TimeUnit.MILLISECONDS);
            return replied;
        };
        Server async = Loomframe.start(ServerConfig.builder().impl(Impl.ASYNC).handler(asyncLookup).port(0).build());

        // 3. Offloaded: the blocking form on --impl async, run on a pool of 8 threads (at most 8 wait at once).
        Server offloaded = Loomframe.start(ServerConfig.builder().impl(Impl.ASYNC).handler(lookup).handlerThreads(8).port(0).build());

        // The built-in ones, by their command-line names: Handlers.parse("delay:10ms", format), "forward:HOST:PORT".
        // end::embedding-waiting[]
        return List.of(blocking, async, offloaded);
    }
}
