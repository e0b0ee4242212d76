import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import loomframe.Loomframe;
import loomframe.server.FrameHandler;
import loomframe.server.Impl;
import loomframe.server.Server;
import loomframe.server.ServerConfig;

/**
 * A handler that blocks for 200 ms per frame (think: a slow database call), on each implementation.
 * 8 clients send one frame each at the same moment; the program prints when the last reply came.
 *
 *   ./mvnw -B -q compile && java -cp target/classes docs/demo/SlowHandler.java
 *
 * blocking: each connection has its own virtual thread, so the 8 sleeps overlap (~200 ms).
 * platform: the same with 8 platform threads (~200 ms).
 * async:    the handler runs on the channel group's threads, one per core; while they sleep no
 *           other completion runs, so the 8 sleeps go through availableProcessors() at a time.
 *
 * With --json the figures come out as one JSON line (jmh/bench --main loomframe.bench.Pitfalls).
 */
public class SlowHandler {
    public static void main(String[] args) throws Exception {
        FrameHandler slow = (payload, replies) -> {
            try {
                Thread.sleep(200);                           // a blocking call inside the handler
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            replies.reply(payload);
        };
        boolean json = args.length > 0 && args[0].equals("--json");
        if (!json) System.out.println("java " + Runtime.version() + ", " + Runtime.getRuntime().availableProcessors() + " cores");
        List<String> fields = new ArrayList<>();
        for (Impl impl : Impl.values()) {
            try (Server server = Loomframe.start(ServerConfig.builder().impl(impl).handler(slow).port(0).build())) {
                roundTrips(server.port(), 8);                // warm-up
                long ms = roundTrips(server.port(), 8);
                if (!json) System.out.printf("%-8s 8 frames x 200 ms handler, last reply after %4d ms%n", impl.cliName(), ms);
                fields.add("\"" + impl.cliName() + "_ms\": " + ms);
            }
        }
        if (json) System.out.println("{\"cores\": " + Runtime.getRuntime().availableProcessors() + ", " + String.join(", ", fields) + "}");
    }

    /** Opens n connections, sends one 4-byte frame on each at once, waits for every reply. */
    static long roundTrips(int port, int n) throws Exception {
        List<Socket> sockets = new ArrayList<>();
        for (int i = 0; i < n; i++) sockets.add(new Socket("127.0.0.1", port));
        long start = System.nanoTime();
        for (Socket s : sockets) {
            var out = new DataOutputStream(s.getOutputStream());
            out.writeInt(4);
            out.writeInt(42);
            out.flush();
        }
        for (Socket s : sockets) {
            var in = new DataInputStream(s.getInputStream());
            in.readInt();
            in.readInt();
            s.close();
        }
        return (System.nanoTime() - start) / 1_000_000;
    }
}
