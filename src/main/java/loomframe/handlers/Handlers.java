package loomframe.handlers;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import loomframe.frame.FrameFormat;
import loomframe.server.FrameHandler;

/** The handlers the command line names: {@code echo}, {@code discard}, {@code delay:D}, {@code forward:HOST:PORT}. */
public final class Handlers {
    private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s)");
    private static final Pattern HOST_PORT = Pattern.compile("(\\[[^\\]]+\\]|[^:\\[\\]]+):(\\d{1,5})");

    private Handlers() {}

    /**
     * The handler a command-line name describes.
     *
     * @param format the wire format, which a forwarded frame keeps on its way to the backend
     * @throws IllegalArgumentException with a message naming what was expected
     */
    public static FrameHandler parse(String spec, FrameFormat format) {
        String s = spec.trim();
        String lower = s.toLowerCase(Locale.ROOT);
        if (lower.equals("echo")) return FrameHandler.echo();
        if (lower.equals("discard")) return FrameHandler.discard();
        if (lower.startsWith("delay:")) {
            Matcher m = DURATION.matcher(lower.substring("delay:".length()));
            if (!m.matches()) throw new IllegalArgumentException("delay:D needs a duration such as 1ms or 10ms, got '" + spec + "'");
            long n = Long.parseLong(m.group(1));
            return new DelayHandler(m.group(2).equals("ms") ? Duration.ofMillis(n) : Duration.ofSeconds(n));
        }
        if (lower.startsWith("forward:")) {
            Matcher m = HOST_PORT.matcher(s.substring("forward:".length()));
            int port = m.matches() ? Integer.parseInt(m.group(2)) : -1;
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("forward:HOST:PORT needs a backend address such as 127.0.0.1:7000, got '" + spec + "'");
            }
            String host = m.group(1).replaceAll("^\\[|]$", "");
            return new ForwardHandler(InetSocketAddress.createUnresolved(host, port), format);
        }
        throw new IllegalArgumentException("expected echo, discard, delay:D or forward:HOST:PORT, got '" + spec + "'");
    }
}
