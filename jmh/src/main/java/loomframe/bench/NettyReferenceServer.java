package loomframe.bench;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
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
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.codec.LengthFieldPrepender;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * The industry baseline every loomframe figure is compared with: an echo server written the way
 * Netty users write one, speaking loomframe's default wire format.
 *
 * <pre>
 * +-- length: 4 bytes, big-endian --+-- payload --+
 * | 00 00 00 05                      | h e l l o   |
 * +----------------------------------+-------------+
 *
 * pipeline:  LengthFieldBasedFrameDecoder(16 MiB + 4, 0, 4, 0, 4)   strips the prefix
 *            LengthFieldPrepender(4)                                 adds it back on the way out
 *            Echo: channelRead -> ctx.write(frame); channelReadComplete -> ctx.flush()
 * </pre>
 *
 * <p>Choices, each the one a Netty user would make:
 * <ul>
 *   <li>Native epoll transport when {@link Epoll#isAvailable()} (it is on this Linux box), else NIO;
 *       {@link #transport()} says which one ran, and the benchmarks print it.
 *   <li>One acceptor thread and one worker event-loop group of {@code availableProcessors()}
 *       threads: the same number of cores the loomframe servers get (their virtual-thread
 *       scheduler and NIO.2 group default to the processor count too).
 *   <li>Replies are written as frames arrive and flushed once per read batch
 *       ({@code channelReadComplete}), so 16 pipelined frames cost one {@code writev}.
 *   <li>Pooled direct buffers (Netty's default allocator), {@code TCP_NODELAY} on.
 *   <li>Largest payload 16 MiB, like loomframe's default {@code --max-frame}.
 * </ul>
 * It lives in the benchmark module only; the product does not depend on Netty.
 */
public final class NettyReferenceServer implements AutoCloseable {

    /** 16 MiB of payload plus the 4-byte prefix: Netty's limit counts the whole frame. */
    public static final int MAX_FRAME = 16 * 1024 * 1024 + 4;

    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final Channel serverChannel;
    private final String transport;
    private final LongAdder frames = new LongAdder();
    private final AtomicInteger open = new AtomicInteger();

    private NettyReferenceServer(int port, int workerThreads) throws InterruptedException {
        boolean epoll = Epoll.isAvailable();
        IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        Class<? extends ServerChannel> channelType = epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
        transport = epoll ? "epoll" : "nio";
        boss = new MultiThreadIoEventLoopGroup(1, io);
        workers = new MultiThreadIoEventLoopGroup(workerThreads, io);
        Echo echo = new Echo();
        serverChannel = new ServerBootstrap()
                .group(boss, workers)
                .channel(channelType)
                .option(ChannelOption.SO_BACKLOG, 4096)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(
                                new LengthFieldBasedFrameDecoder(MAX_FRAME, 0, 4, 0, 4),
                                new LengthFieldPrepender(4),
                                echo);
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", port)).sync().channel();
    }

    /** Starts on 127.0.0.1 with as many worker threads as the JVM sees processors. */
    public static NettyReferenceServer start(int port) throws InterruptedException {
        return new NettyReferenceServer(port, Runtime.getRuntime().availableProcessors());
    }

    public int port() {
        return ((InetSocketAddress) serverChannel.localAddress()).getPort();
    }

    /** {@code epoll} or {@code nio}. */
    public String transport() {
        return transport;
    }

    /** Frames echoed so far. */
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

    /** Echoes each decoded frame; one flush per read batch, as Netty's own examples do. */
    @Sharable
    private final class Echo extends ChannelInboundHandlerAdapter {
        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            open.incrementAndGet();
            ctx.fireChannelActive();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            open.decrementAndGet();
            ctx.fireChannelInactive();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            frames.increment();
            ctx.write(msg, ctx.voidPromise());   // the prepender adds the length; the frame buffer is reused as is
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();                         // one flush for everything this read produced
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();                         // resets are routine in a benchmark's teardown
        }
    }

    /** Runs the reference server alone: {@code java -cp benchmarks.jar loomframe.bench.NettyReferenceServer [port]}. */
    public static void main(String[] args) throws Exception {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 7778;
        try (var server = start(port)) {
            System.out.println("listening on 127.0.0.1:" + server.port() + " (netty " + server.transport() + ")");
            Thread.currentThread().join();
        }
    }
}
