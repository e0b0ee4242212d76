/**
 * The asynchronous style: NIO.2 {@link java.nio.channels.CompletionHandler}s on a small channel
 * group; no thread belongs to a connection, each step is started and the next runs when it
 * completes.
 */
package loomframe.server.async;
