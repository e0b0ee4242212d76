package loomframe.cli;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Reads a duration: {@code 250ms}, {@code 10s}, {@code 2m} (also {@code h}). A bare {@code 0}
 * means zero (e.g. {@code --idle-timeout 0}, off); any other number needs its unit, because a
 * bare {@code 10} is ambiguous.
 */
public final class DurationConverter implements ITypeConverter<Duration> {
    private static final Pattern DURATION = Pattern.compile("(\\d{1,12})\\s*(ms|s|m|h)");

    @Override
    public Duration convert(String value) {
        return parse(value);
    }

    public static Duration parse(String value) {
        String v = value.trim().toLowerCase(Locale.ROOT);
        if (v.equals("0")) return Duration.ZERO;
        Matcher m = DURATION.matcher(v);
        if (!m.matches()) {
            throw new TypeConversionException("'" + value + "' is not a duration: use a number with ms, s or m, e.g. 250ms, 10s, 2m");
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            default -> Duration.ofHours(n);
        };
    }
}
