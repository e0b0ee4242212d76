package loomframe.bench;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.codec.LengthFieldPrepender;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.ReferenceCountUtil;
import java.io.File;
import java.net.InetSocketAddress;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;

/**
 * The industry baseline every loomframe figure is compared with: a framing server written the way
 * Netty users write one, speaking loomframe's default wire format. The benchmarks run it in its own
 * JVM through {@link #main}, like loomframe's {@code serve}.
 *
 * <pre>
 * +-- length: 4 bytes, big-endian --+-- payload --+
 * | 00 00 00 05                      | h e l l o   |
 * +----------------------------------+-------------+
 *
 * pipeline:  [SslHandler]                                             with --tls-cert/--tls-key: TLS first, so
 *                                                                    everything after it sees plaintext
 *            LengthFieldBasedFrameDecoder(16 MiB + 4, 0, 4, 0, 4)   strips the prefix (composite cumulator)
 *            LengthFieldPrepender(4)                                 adds it back on the way out
 *            one handler:
 *              echo              channelRead -> ctx.write(frame); channelReadComplete -> ctx.flush()
 *              delay:D           ctx.executor().schedule(writeAndFlush(frame), D): the echo D after arrival
 *              forward:HOST:PORT relays each frame over this client's own backend connection (a Netty
 *                                client Bootstrap on the same event loop) and writes back the reply
 * </pre>
 *
 * <p>Choices, each the one a Netty user would make:
 * <ul>
 *   <li>Native epoll transport when {@link Epoll#isAvailable()} (it is on Linux), else NIO;
 *       the readiness line says which one ran.
 *   <li>One acceptor thread and one worker event-loop group of {@code availableProcessors()}
 *       threads: the same number of cores the loomframe servers get (their virtual-thread
 *       scheduler and NIO.2 group default to the processor count too).
 *   <li>Replies are written as frames arrive and flushed once per read batch
 *       ({@code channelReadComplete}), so 16 pipelined frames cost one {@code writev}.
 *   <li>Netty's default allocator, {@code TCP_NODELAY} on, largest payload 16 MiB like loomframe's
 *       default {@code --max-frame}.
 *   <li><b>The composite cumulator</b> ({@link ByteToMessageDecoder#COMPOSITE_CUMULATOR}) instead of
 *       the default merging one. The echo writes each frame as a retained slice of the decoder's
 *       cumulation buffer; while such a slice is unwritten the cumulation's reference count is above
 *       one, so the merging cumulator never discards its consumed front and keeps growing it by
 *       reallocation, copying everything it holds. With 16 pipelined 1 MiB frames that is megabytes
 *       copied every few 64 KiB reads: tens of ms of CPU per frame, a few dozen frames/s
 *       (jmh/results/README.md has the measurement and the JFR stack; {@code --cumulator merge}
 *       reproduces it). Netty documents the composite cumulator for this; it costs nothing
 *       measurable with small frames.
 *   <li><b>TLS</b> ({@code --tls-cert FILE --tls-key FILE}, PEM as {@code loomframe serve} takes them):
 *       {@link SslContextBuilder#forServer(File, File)} on {@link SslProvider#JDK}, the same
 *       {@code SSLEngine} loomframe drives, so a comparison measures the servers, not two TLS
 *       libraries; TLS 1.3 and 1.2, the JDK's default cipher suites in the JDK's order (as
 *       loomframe; Netty's own list prefers AES-128); the {@code SslHandler} first in the pipeline. The backend connection of {@code forward} stays plaintext.
 * </ul>
 * It lives in the benchmark module only; the product does not depend on Netty.
 *
 * <p>Run alone: {@code jmh/bench --main loomframe.bench.NettyReferenceServer [--port 7778]
 * [--handler echo|delay:D|forward:HOST:PORT] [--cumulator composite|merge] [--threads N]
 * [--tls-cert FILE --tls-key FILE]}.
 * Prints {@code listening on 127.0.0.1:PORT (netty epoll, handler H, ...)} once accepting, like
 * {@code loomframe serve}, and a final statistics line on SIGTERM.
 */
public final class NettyReferenceServer implements AutoCloseable {

    /** 16 MiB of payload plus the 4-byte prefix: Netty's limit counts the whole frame. */
    public static final int MAX_FRAME = 16 * 1024 * 1024 + 4;

    /** What the server does with each frame. */
    public sealed interface Handler {
        record Echo() implements Handler {}
        record Delay(Duration delay) implements Handler {}
        record Forward(String host, int port) implements Handler {}

        /** {@code echo}, {@code delay:10ms} (ms, s or us), {@code forward:HOST:PORT}. */
        static Handler parse(String s) {
            if (s.equals("echo")) return new Echo();
            if (s.startsWith("delay:")) return new Delay(duration(s.substring(6)));
            if (s.startsWith("forward:")) {
                int colon = s.lastIndexOf(':');
                if (colon > 8) return new Forward(s.substring(8, colon), Integer.parseInt(s.substring(colon + 1)));
            }
            throw new IllegalArgumentException("--handler must be echo, delay:D or forward:HOST:PORT, got " + s);
        }

        private static Duration duration(String d) {
            if (d.endsWith("ms")) return Duration.ofNanos((long) (Double.parseDouble(d.substring(0, d.length() - 2)) * 1e6));
            if (d.endsWith("us")) return Duration.ofNanos((long) (Double.parseDouble(d.substring(0, d.length() - 2)) * 1e3));
            if (d.endsWith("s")) return Duration.ofNanos((long) (Double.parseDouble(d.substring(0, d.length() - 1)) * 1e9));
            throw new IllegalArgumentException("delay must end in ms, us or s, got " + d);
        }
    }

    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final Channel serverChannel;
    private final boolean epoll;
    private final String description;
    private final LongAdder frames = new LongAdder();
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicInteger backendFailures = new AtomicInteger();

    private NettyReferenceServer(int port, int workerThreads, Handler handler, boolean composite, SslContext tls)
            throws InterruptedException {
        epoll = Epoll.isAvailable();
        IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        Class<? extends ServerChannel> channelType = epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
        boss = new MultiThreadIoEventLoopGroup(1, io);
        workers = new MultiThreadIoEventLoopGroup(workerThreads, io);
        ChannelHandler shared = switch (handler) {
            case Handler.Echo e -> new Echo();
            case Handler.Delay d -> new Delay(d.delay().toNanos());
            case Handler.Forward f -> null;                    // one per connection: it owns a backend channel
        };
        serverChannel = new ServerBootstrap()
                .group(boss, workers)
                .channel(channelType)
                .option(ChannelOption.SO_BACKLOG, 4096)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (tls != null) ch.pipeline().addLast(tls.newHandler(ch.alloc()));
                        ch.pipeline().addLast(decoder(composite), new LengthFieldPrepender(4),
                                shared != null ? shared : new Forward((Handler.Forward) handler, composite));
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", port)).sync().channel();
        description = "netty " + (epoll ? "epoll" : "nio") + ", handler " + describe(handler)
                + ", cumulator " + (composite ? "composite" : "merge") + ", " + workerThreads + " worker threads"
                + (tls == null ? "" : ", tls " + String.join(",", PROTOCOLS) + " (JDK provider)");
    }

    /** Starts an echo server on 127.0.0.1 with as many worker threads as the JVM sees processors. */
    public static NettyReferenceServer start(int port) throws InterruptedException {
        return new NettyReferenceServer(port, Runtime.getRuntime().availableProcessors(), new Handler.Echo(), true, null);
    }

    private static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};

    /**
     * A server context from PEM files, on the JDK's TLS provider, offering the JDK's default cipher
     * suites in the JDK's order, as loomframe does: Netty's own default list puts AES-128-GCM first,
     * and a server that picks a cheaper cipher would not be measured on the same work.
     */
    static SslContext tls(File cert, File key) throws SSLException {
        return SslContextBuilder.forServer(cert, key).sslProvider(SslProvider.JDK).protocols(PROTOCOLS)
                .ciphers(List.of(jdkDefaultCipherSuites())).build();
    }

    private static String[] jdkDefaultCipherSuites() {
        try {
            return SSLContext.getDefault().getDefaultSSLParameters().getCipherSuites();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JDK offers no TLS: " + e, e);
        }
    }

    private static LengthFieldBasedFrameDecoder decoder(boolean composite) {
        var decoder = new LengthFieldBasedFrameDecoder(MAX_FRAME, 0, 4, 0, 4);
        if (composite) decoder.setCumulator(ByteToMessageDecoder.COMPOSITE_CUMULATOR);  // see the class comment
        return decoder;
    }

    private static String describe(Handler h) {
        return switch (h) {
            case Handler.Echo e -> "echo";
            case Handler.Delay d -> "delay:" + d.delay().toNanos() / 1e6 + "ms";
            case Handler.Forward f -> "forward:" + f.host() + ":" + f.port();
        };
    }

    public int port() {
        return ((InetSocketAddress) serverChannel.localAddress()).getPort();
    }

    /** {@code netty epoll, handler echo, ...}: what runs. */
    public String describe() {
        return description;
    }

    /** Frames received so far. */
    public long frames() {
        return frames.sum();
    }

    /** Connections open now. */
    public int openConnections() {
        return open.get();
    }

    @Override
    public void close() {
        serverChannel.close().syncUninterruptibly();
        boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** Counts connections for the statistics line; every handler extends it. */
    private abstract class Counting extends ChannelInboundHandlerAdapter {
        @Override
        public void channelActive(ChannelHandlerContext ctx) throws Exception {
            open.incrementAndGet();
            super.channelActive(ctx);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            open.decrementAndGet();
            super.channelInactive(ctx);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();                         // resets are routine in a benchmark's teardown
        }
    }

    /** Echoes each decoded frame; one flush per read batch, as Netty's own examples do. */
    @Sharable
    private final class Echo extends Counting {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            frames.increment();
            ctx.write(msg, ctx.voidPromise());   // the prepender adds the length; the frame buffer is reused as is
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();                         // one flush for everything this read produced
        }
    }

    /**
     * Replies with the echo {@code delay} after the frame arrived, on the channel's own event loop.
     * Tasks scheduled with equal delays run in the order they were scheduled, so replies keep the
     * order of their frames.
     */
    @Sharable
    private final class Delay extends Counting {
        private final long nanos;

        Delay(long nanos) {
            this.nanos = nanos;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            frames.increment();
            ctx.executor().schedule(() -> {
                if (ctx.channel().isActive()) ctx.writeAndFlush(msg, ctx.voidPromise());
                else ReferenceCountUtil.release(msg);
            }, nanos, TimeUnit.NANOSECONDS);
        }
    }

    /**
     * Relays each frame to the backend over this client's own backend connection and writes the
     * backend's replies back; the backend answers in order, so the replies keep the frames' order.
     * The backend channel runs on the client channel's event loop (no hand-off between threads), and
     * flow control is the proxy pattern of Netty's examples: the client is read only while the backend
     * connection is writable, the backend only while the client connection is writable. A backend
     * that cannot be reached or fails closes this client, with one line on stderr.
     */
    private final class Forward extends Counting {
        private final Handler.Forward target;
        private final boolean composite;
        private Channel backend;

        Forward(Handler.Forward target, boolean composite) {
            this.target = target;
            this.composite = composite;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) throws Exception {
            super.channelActive(ctx);
            Channel client = ctx.channel();
            client.config().setAutoRead(false);          // nothing to relay to until the backend is connected
            var connect = new Bootstrap()
                    .group(client.eventLoop())
                    .channel(epoll ? EpollSocketChannel.class : NioSocketChannel.class)
                    .option(ChannelOption.TCP_NODELAY, true)
                    .handler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            ch.pipeline().addLast(decoder(composite), new LengthFieldPrepender(4), new Replies(client));
                        }
                    })
                    .connect(target.host(), target.port());
            backend = connect.channel();
            connect.addListener((ChannelFutureListener) f -> {
                if (f.isSuccess()) client.read();
                else backendFailed(client, "cannot connect: " + f.cause());
            });
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            frames.increment();
            backend.write(msg).addListener(f -> {
                if (!f.isSuccess()) backendFailed(ctx.channel(), "write failed: " + f.cause());
            });
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            backend.flush();
            if (backend.isWritable()) ctx.read();     // else Replies.channelWritabilityChanged reads on
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            backend.config().setAutoRead(ctx.channel().isWritable());   // the client reads slowly: pause the backend
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            if (backend != null) backend.close();
            super.channelInactive(ctx);
        }

        /** The backend side: every reply goes back to the client, flushed once per read batch. */
        private final class Replies extends ChannelInboundHandlerAdapter {
            private final Channel client;

            Replies(Channel client) {
                this.client = client;
            }

            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                client.write(msg, client.voidPromise());
            }

            @Override
            public void channelReadComplete(ChannelHandlerContext ctx) {
                client.flush();
            }

            @Override
            public void channelWritabilityChanged(ChannelHandlerContext ctx) {
                if (ctx.channel().isWritable()) client.read();
            }

            @Override
            public void channelInactive(ChannelHandlerContext ctx) {
                if (client.isActive()) backendFailed(client, "backend closed the connection");
            }

            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                backendFailed(client, cause.toString());
            }
        }

        private void backendFailed(Channel client, String what) {
            if (!client.isActive()) return;
            backendFailures.incrementAndGet();
            System.err.println(client.remoteAddress() + " closed: backend " + target.host() + ":" + target.port() + " " + what);
            client.close();
            if (backend != null) backend.close();
        }
    }

    /**
     * Runs the reference server alone until SIGTERM/SIGINT:
     * {@code java -cp benchmarks.jar loomframe.bench.NettyReferenceServer [--port P] [--handler H]
     * [--cumulator composite|merge] [--threads N] [--tls-cert FILE --tls-key FILE]}.
     */
    public static void main(String[] args) throws Exception {
        int port = 7778;
        int threads = Runtime.getRuntime().availableProcessors();
        Handler handler = new Handler.Echo();
        boolean composite = true;
        File cert = null, key = null;
        var options = new Args("NettyReferenceServer", "[--port 7778] [--handler echo|delay:D|forward:HOST:PORT]"
                + " [--cumulator composite|merge] [--threads N] [--tls-cert FILE --tls-key FILE]", args);
        while (options.next()) {
            switch (options.name()) {
                case "--port" -> port = options.integer();
                case "--threads" -> threads = options.integer();
                case "--handler" -> {
                    try {
                        handler = Handler.parse(options.value());
                    } catch (IllegalArgumentException e) {
                        options.fail(e.getMessage());
                    }
                }
                case "--cumulator" -> {
                    String v = options.value();
                    if (!v.equals("composite") && !v.equals("merge")) options.fail("--cumulator must be composite or merge, got " + v);
                    composite = v.equals("composite");
                }
                case "--tls-cert" -> cert = new File(options.value());
                case "--tls-key" -> key = new File(options.value());
                default -> options.unknown();
            }
        }
        if ((cert == null) != (key == null)) options.fail("--tls-cert and --tls-key go together");
        SslContext tls = null;
        if (cert != null) {
            try {
                tls = tls(cert, key);
            } catch (SSLException | IllegalArgumentException e) {
                options.fail("cannot use --tls-cert " + cert + " --tls-key " + key + ": " + e.getMessage());
            }
        }
        var server = new NettyReferenceServer(port, threads, handler, composite, tls);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            System.out.println(String.format(Locale.ROOT, "final stats: frames=%d open=%d backend_failures=%d",
                    server.frames(), server.openConnections(), server.backendFailures.get()));
        }));
        System.out.println("listening on 127.0.0.1:" + server.port() + " (" + server.describe() + ")");
        Thread.currentThread().join();
    }
}
