package loomframe.client;

import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.time.Duration;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import loomframe.tls.ClientTls;
import loomframe.tls.TlsFailure;
import loomframe.frame.FrameDecoder;
import loomframe.frame.FrameException;
import loomframe.frame.FrameFormat;
import loomframe.frame.TruncatedFrameException;

/**
 * A blocking client for one connection: write frames, read frames, in the given {@link FrameFormat}.
 * Not thread-safe; one thread may write while another reads.
 *
 * <pre>{@code
 * try (var client = FrameClient.connect("127.0.0.1", 7777, FrameFormat.DEFAULT, Duration.ofSeconds(10))) {
 *     client.send("hello".getBytes(UTF_8));
 *     byte[] echo = client.receive();   // null: the server closed the connection cleanly
 * }
 * }</pre>
 *
 * <p>Every read waits at most the timeout given to {@link #connect}, so a silent server cannot hang
 * the caller; a timeout surfaces as {@link java.net.SocketTimeoutException}.
 */
public final class FrameClient implements Closeable {
    private final Socket socket;
    private final FrameFormat format;
    private final InputStream in;
    private final OutputStream out;
    private final byte[] header;
    private final ByteBuffer headerOut;
    private final FrameDecoder decoder;

    private FrameClient(Socket socket, FrameFormat format) throws IOException {
        this.socket = socket;
        this.format = format;
        this.in = socket.getInputStream();
        this.out = new BufferedOutputStream(socket.getOutputStream(), 64 * 1024);
        this.header = new byte[format.headerLength()];
        this.headerOut = ByteBuffer.allocate(format.headerLength());
        this.decoder = new FrameDecoder(format);
    }

    /**
     * Connects with TCP_NODELAY on (small frames go out at once).
     *
     * @param timeout bound on the connect and on each read; {@link Duration#ZERO} waits forever
     */
    public static FrameClient connect(String host, int port, FrameFormat format, Duration timeout) throws IOException {
        return connect(host, port, format, timeout, null);
    }

    // tag::client-tls[]
    /**
     * Connects, over TLS when {@code tls} is given: over a blocking socket TLS is a wrapper, an
     * {@link SSLSocket} layered on the connected socket, whose streams encrypt and decrypt as they
     * are read and written. The handshake is done here, within the timeout, so that a server that
     * is not trusted fails the connect, not the first frame.
     */
    public static FrameClient connect(String host, int port, FrameFormat format, Duration timeout, ClientTls tls) throws IOException {
        int millis = (int) Math.min(Integer.MAX_VALUE, timeout.toMillis());
        Socket socket = new Socket();
        try {
            socket.setTcpNoDelay(true);
            socket.connect(new InetSocketAddress(host, port), millis);
            socket.setSoTimeout(millis);
            if (tls != null) {
                var ssl = (SSLSocket) tls.context().getSocketFactory().createSocket(socket, tls.serverName(), port, true);
                socket = ssl;
                ssl.setSSLParameters(tls.parameters());
                try {
                    ssl.startHandshake();
                } catch (SSLException e) {
                    throw TlsFailure.ofClientHandshake(e, tls);   // in the server's terms, naming the flag to change
                }
            }
            return new FrameClient(socket, format);
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }
    // end::client-tls[]

    public FrameFormat format() {
        return format;
    }

    /** The server's address, for messages. */
    public InetSocketAddress remote() {
        return (InetSocketAddress) socket.getRemoteSocketAddress();
    }

    /** Buffers one frame; {@link #flush()} sends what is buffered. */
    public void write(byte[] payload) throws IOException {
        headerOut.clear();
        format.encodeHeader(payload.length, headerOut);
        out.write(headerOut.array(), 0, headerOut.position());
        out.write(payload);
    }

    public void flush() throws IOException {
        out.flush();
    }

    /** Writes one frame and flushes it. */
    public void send(byte[] payload) throws IOException {
        write(payload);
        flush();
    }

    /**
     * Reads the next frame's payload.
     *
     * @return the payload, or {@code null} if the server closed the connection between frames
     * @throws TruncatedFrameException if the stream ended inside a frame
     * @throws FrameException if the length field breaks the format (too large, below the header)
     * @throws java.net.SocketTimeoutException if nothing arrived within the timeout
     */
    public byte[] receive() throws IOException {
        decoder.reset();
        while (decoder.state() == FrameDecoder.State.HEADER) {          // the length field, however it is cut
            int r = in.read(header, 0, format.headerLength() - decoder.headerFilled());
            if (r < 0) {
                decoder.endOfStream();                                  // throws if the field was cut short
                return null;
            }
            decoder.takeHeader(ByteBuffer.wrap(header, 0, r));
        }
        byte[] payload = new byte[decoder.bodyLength()];
        while (!decoder.takeBody(readSome(payload, decoder.bodyReceived()))) {
            // the body, however it is cut
        }
        return payload;
    }

    /** Reads what is there into {@code payload} from {@code at}; end of stream inside the body is an error. */
    private int readSome(byte[] payload, int at) throws IOException {
        if (at == payload.length) return 0;
        int r = in.read(payload, at, payload.length - at);
        if (r < 0) decoder.endOfStream();                               // throws: the body was cut short
        return r;
    }

    /** Tells the server no more frames are coming (TCP FIN), keeping the read side open. */
    public void shutdownOutput() throws IOException {
        out.flush();
        socket.shutdownOutput();
    }

    @Override
    public void close() throws IOException {
        try {
            out.flush();
        } catch (IOException ignored) {
            // the socket is going away anyway; close it below
        } finally {
            socket.close();
        }
    }
}
