package loomframe.cli;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code serve --metrics ADDRESS}: {@code PORT}, {@code HOST:PORT} or {@code [IPv6]:PORT}; the host
 * defaults to 127.0.0.1 (this machine only, like the framing port), port 0 takes a free one.
 */
record MetricsAddress(String host, int port) {
    static final String DEFAULT_HOST = "127.0.0.1";
    private static final Pattern FORM = Pattern.compile("(?:(\\[[0-9A-Fa-f:.]+]|[^:\\[\\]\\s]+):)?(\\d{1,5})");

    static MetricsAddress parse(String value) {
        Matcher m = FORM.matcher(value.trim());
        if (!m.matches()) {
            throw new TypeConversionException("expected PORT or HOST:PORT (e.g. 9100, 0.0.0.0:9100, [::1]:9100), got '" + value + "'");
        }
        int port = Integer.parseInt(m.group(2));
        if (port > 65535) throw new TypeConversionException("port must be 0..65535, got " + port + " in '" + value + "'");
        String host = m.group(1) == null ? DEFAULT_HOST : m.group(1).replaceAll("^\\[|]$", "");
        return new MetricsAddress(host, port);
    }

    @Override
    public String toString() {
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }

    static final class Converter implements ITypeConverter<MetricsAddress> {
        @Override
        public MetricsAddress convert(String value) {
            return parse(value);
        }
    }
}
