package loomframe.server.core;

import java.nio.ByteBuffer;
import loomframe.frame.FrameFormat;
import loomframe.server.Payload;

/**
 * A payload that remembers the bytes it arrived as: its length field and body, contiguous in one
 * chunk. Replying it in the same format is an echo, and {@link ReplyQueue} then writes those bytes
 * as they came — no length field to encode, and the echoes of frames that arrived back to back
 * become one buffer of the gathering write.
 */
final class ArrivedPayload extends Payload {
    final FrameFormat format;
    final ByteBuffer chunk;          // the chunk's read-only view: identifies the memory
    final int frameStart;            // where the length field starts in it
    final int frameLength;           // length field + payload

    ArrivedPayload(ByteBuffer body, FrameFormat format, ByteBuffer chunk, int frameStart, int frameLength) {
        super(body);
        this.format = format;
        this.chunk = chunk;
        this.frameStart = frameStart;
        this.frameLength = frameLength;
    }
}
