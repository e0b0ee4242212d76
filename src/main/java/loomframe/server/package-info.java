/**
 * What a program that embeds a loomframe server uses: {@link loomframe.server.ServerConfig} (what
 * to start), {@link loomframe.server.FrameHandler} and {@link loomframe.server.AsyncFrameHandler}
 * (what to do with each frame), {@link loomframe.server.Payload} and
 * {@link loomframe.server.Replies} (a frame in, replies out), {@link loomframe.server.Server} (the
 * running server) with its {@link loomframe.server.ServerStats} and
 * {@link loomframe.server.CloseReason}s. Start one with {@code loomframe.Loomframe.start(config)}.
 *
 * <p>Depends on {@code loomframe.frame} only; the implementations depend on it, never the reverse.
 */
package loomframe.server;
