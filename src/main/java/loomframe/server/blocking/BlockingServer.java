package loomframe.server.blocking;

import java.io.IOException;
import loomframe.server.Server;
import loomframe.server.ServerConfig;

public final class BlockingServer {
    public static Server onVirtualThreads(ServerConfig config) throws IOException { throw new UnsupportedOperationException("in progress"); }
    public static Server onPlatformThreads(ServerConfig config) throws IOException { throw new UnsupportedOperationException("in progress"); }
}
