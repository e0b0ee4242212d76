package loomframe.cli;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import loomframe.server.core.Sizes;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Reads a size in bytes: {@code 4096}, {@code 64KiB}, {@code 16MiB}, {@code 1GiB} (binary units,
 * case-insensitive; a trailing {@code B} alone means bytes). Never negative.
 */
public final class SizeConverter implements ITypeConverter<Long> {
    private static final Pattern SIZE = Pattern.compile("(\\d{1,19})\\s*(b|kib|mib|gib)?");

    @Override
    public Long convert(String value) {
        return parse(value);
    }

    public static long parse(String value) {
        Matcher m = SIZE.matcher(value.trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new TypeConversionException("'" + value + "' is not a size: use bytes or a KiB/MiB/GiB suffix, e.g. 4096, 64KiB, 16MiB");
        }
        long shift = switch (m.group(2) == null ? "b" : m.group(2)) {
            case "kib" -> 10;
            case "mib" -> 20;
            case "gib" -> 30;
            default -> 0;
        };
        try {
            long n = Long.parseLong(m.group(1));
            if (n > (Long.MAX_VALUE >> shift)) throw new NumberFormatException();
            return n << shift;
        } catch (NumberFormatException e) {
            throw new TypeConversionException("'" + value + "' is too large a size");
        }
    }

    /** {@code 16MiB}, {@code 64KiB} when exact, else plain bytes: the inverse of {@link #parse}. */
    public static String format(long bytes) {
        return Sizes.format(bytes);
    }
}
