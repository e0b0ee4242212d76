package loomframe.server.async;

import java.io.IOException;
import loomframe.server.Server;
import loomframe.server.ServerConfig;

public final class AsyncServer {
    public static Server start(ServerConfig config) throws IOException { throw new UnsupportedOperationException("in progress"); }
}
