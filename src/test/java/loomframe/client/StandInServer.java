package loomframe.client;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import loomframe.frame.FrameFormat;

/**
 * Small deliberately simple (or deliberately wrong) servers for client tests, one virtual thread per
 * connection on 127.0.0.1, port 0. Each behaviour is what a real peer might do.
 */
public final class StandInServer implements AutoCloseable {

    /** What the stand-in does with each frame it reads: the reply payload, or null to close the connection. */
    @FunctionalInterface
    public interface Behaviour {
        byte[] reply(byte[] payload);
    }

    private final ServerSocket listener;
    private final FrameFormat format;
    private final Behaviour behaviour;
    /** Every payload received, in order, across connections. */
    public final BlockingQueue<byte[]> received = new LinkedBlockingQueue<>();

    private StandInServer(FrameFormat format, Behaviour behaviour) throws IOException {
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.format = format;
        this.behaviour = behaviour;
        Thread.ofVirtual().start(this::acceptLoop);
    }

    public static StandInServer start(FrameFormat format, Behaviour behaviour) throws IOException {
        return new StandInServer(format, behaviour);
    }

    /** Echoes every frame with its last byte flipped: a corrupting server. */
    public static StandInServer flippingEcho(FrameFormat format) throws IOException {
        return start(format, p -> {
            byte[] r = p.clone();
            if (r.length > 0) r[r.length - 1] ^= 0x01;
            return r;
        });
    }

    /** Reads one frame and closes without replying: the reply is lost. */
    public static StandInServer closesWithoutReply(FrameFormat format) throws IOException {
        return start(format, p -> null);
    }

    /**
     * Behaves like the classic C# sample's server: reads a 4-byte little-endian length, then exactly
     * that many bytes, records them, closes. One message per connection, never a reply.
     */
    public static StandInServer csharpSample() throws IOException {
        return start(FrameFormat.CSHARP_SAMPLE, p -> null);
    }

    public int port() {
        return listener.getLocalPort();
    }

    private void acceptLoop() {
        while (!listener.isClosed()) {
            try {
                Socket s = listener.accept();
                Thread.ofVirtual().start(() -> serve(s));
            } catch (IOException e) {
                return;  // closed
            }
        }
    }

    private void serve(Socket socket) {
        try (socket) {
            var in = new DataInputStream(socket.getInputStream());
            OutputStream out = socket.getOutputStream();
            while (true) {
                byte[] header = in.readNBytes(format.headerLength());
                if (header.length < format.headerLength()) return;
                byte[] payload = readBody(in, format.decodeHeader(header));
                received.add(payload);
                byte[] reply = behaviour.reply(payload);
                if (reply == null) return;
                out.write(format.encode(reply));
                out.flush();
            }
        } catch (IOException e) {
            // the client went away: fine for a stand-in
        }
    }

    private static byte[] readBody(InputStream in, int length) throws IOException {
        byte[] body = in.readNBytes(length);
        if (body.length < length) throw new IOException("end of stream in body");
        return body;
    }

    @Override
    public void close() throws IOException {
        listener.close();
    }
}
