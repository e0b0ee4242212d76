package loomframe.server;

import java.util.Locale;

/** The three ways loomframe serves a connection; the protocol and handler are the same in each. */
public enum Impl {
    /** One virtual thread per connection, plain blocking reads and writes. */
    BLOCKING,
    /** NIO.2 completion handlers on a small fixed thread pool. */
    ASYNC,
    /** The blocking connection code on one platform thread per connection: the classic baseline. */
    PLATFORM;

    /** {@code blocking}, {@code async} or {@code platform}. */
    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
