/**
 * The built-in handlers that wait, each written both ways: {@link loomframe.handlers.DelayHandler}
 * ({@code --handler delay:D}, a stand-in for a backend call) and
 * {@link loomframe.handlers.ForwardHandler} ({@code --handler forward:HOST:PORT}, a real one), and
 * {@link loomframe.handlers.Handlers#parse} for the command line's names. They use the embedding
 * API only, as a program's own handler would.
 */
package loomframe.handlers;
