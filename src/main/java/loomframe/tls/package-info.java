/**
 * TLS for every side of loomframe, on the JDK alone: {@link loomframe.tls.TlsEngine} (one
 * connection's {@code SSLEngine} and its buffers, with no I/O of its own, so that blocking,
 * completion-handler and selector code each drive it their own way),
 * {@link loomframe.tls.TlsBuffers} (the buffers records pass through, lent only while they hold
 * bytes), {@link loomframe.tls.TlsFiles} ({@code SSLContext}s from PEM files as openssl writes
 * them) and {@link loomframe.tls.ClientTls} (a client's settings).
 *
 * <p>Depends on nothing else of loomframe; the servers and the clients depend on it.
 */
package loomframe.tls;
