/**
 * The wire format and nothing else: {@link loomframe.frame.FrameFormat} (the length-prefix rules),
 * {@link loomframe.frame.FrameDecoder} (finds frames in a stream cut anywhere) and the
 * {@link loomframe.frame.FrameException}s a peer can cause. Servers and clients both build on it;
 * it depends on no other loomframe package.
 */
package loomframe.frame;
