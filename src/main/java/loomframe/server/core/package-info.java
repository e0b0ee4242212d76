/**
 * The machinery both server styles share — not an API, and free to change between versions:
 * {@link loomframe.server.core.FrameFlow} (each connection's steps and read policy),
 * {@link loomframe.server.core.BufferBudget} and {@link loomframe.server.core.ChunkPool} (the memory
 * frames live in and its bound), {@link loomframe.server.core.ReplyQueue} (gathering writes),
 * {@link loomframe.server.core.ServedConnection} and {@link loomframe.server.core.ServerCore} (the
 * base classes: deadlines, shutdown, counting, failure reasons), the idle sweeper, the
 * rate-limited log and the JFR {@link loomframe.server.core.Events}. Its classes are public only so
 * that {@code loomframe.server.blocking} and {@code loomframe.server.async} can use them.
 *
 * <p>The {@code // tag::name[]} ... {@code // end::name[]} comments in this and the implementation
 * packages mark the regions {@code docs/COMPARISON.md} and the README quote; {@code DocSnippetsTest}
 * fails when a quoted region and its source differ, and {@code scripts/sync-snippets.py} updates
 * the documents.
 */
package loomframe.server.core;
