package loomframe.bench;

/**
 * Runs one server under test alone, for profiling it from outside (strace, perf, JFR):
 * {@code jmh/bench --main loomframe.bench.ServeOne blocking|async|platform|netty}. Prints
 * {@code listening on 127.0.0.1:PORT pid PID} and serves until stdin closes or reads a line.
 */
public final class ServeOne {
    public static void main(String[] args) throws Exception {
        String impl = args.length > 0 ? args[0] : "blocking";
        try (ServerUnderTest server = ServerUnderTest.start(impl)) {
            System.out.println("listening on 127.0.0.1:" + server.port() + " pid " + ProcessHandle.current().pid()
                    + " (" + server.describe() + ")");
            System.in.read();
            System.out.println("frames " + server.frames());
        }
    }
}
