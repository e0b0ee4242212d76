package loomframe.docs.minimal;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;

/** The smallest honest length-prefixed echo server in the blocking style: docs/COMPARISON.md, "The minimal pair". */
// tag::minimal-virtual-threads[]
public final class MinimalVirtualThreadServer {
    static final int MAX_FRAME = 16 * 1024 * 1024;

    public static void serve(ServerSocket listener) throws IOException {
        while (true) {
            Socket socket = listener.accept();
            Thread.ofVirtual().start(() -> echo(socket));   // one cheap thread per connection
        }
    }

    static void echo(Socket socket) {
        try (socket;
             var in = new DataInputStream(socket.getInputStream());
             var out = new DataOutputStream(socket.getOutputStream())) {
            while (true) {
                int length = in.readInt();                    // waits here, however the bytes are cut
                if (length < 0 || length > MAX_FRAME) return; // a length is not trusted
                byte[] payload = in.readNBytes(length);       // waits for the whole body
                if (payload.length < length) return;          // the stream ended mid-frame
                out.writeInt(length);
                out.write(payload);
                out.flush();
            }
        } catch (IOException endOfStreamOrReset) {
            // the connection is over
        }
    }
}
// end::minimal-virtual-threads[]
