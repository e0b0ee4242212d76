package loomframe.cli;

import java.nio.ByteOrder;
import java.util.Locale;
import loomframe.frame.FrameFormat;
import picocli.CommandLine;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.TypeConversionException;

/** The wire-format options every command shares (SPEC §1); {@link #format} checks them together. */
public final class FramingOptions {

    @Option(names = "--length-bytes", paramLabel = "N", defaultValue = "4",
            description = "Width of the length field: 1, 2, 4 or 8 (default: ${DEFAULT-VALUE}).")
    int lengthBytes;

    @Option(names = "--byte-order", paramLabel = "big|little", defaultValue = "big", converter = ByteOrderConverter.class,
            description = "Byte order of the length field (default: big, network order; little = the C# BitConverter prefix).")
    ByteOrder order;

    @Option(names = "--length-includes-header",
            description = "The length counts the length field too (default: payload only).")
    boolean lengthIncludesHeader;

    @Option(names = "--max-frame", paramLabel = "SIZE", defaultValue = "16MiB", converter = SizeConverter.class,
            description = "Largest payload accepted, 0..2147483639 bytes (default: ${DEFAULT-VALUE}).")
    long maxFrame;

    /** The format these options describe; a bad combination is a usage error naming the flag. */
    FrameFormat format(CommandLine cli) {
        if (maxFrame > FrameFormat.MAX_FRAME_LIMIT) {
            throw new ParameterException(cli, "--max-frame must be 0.." + FrameFormat.MAX_FRAME_LIMIT + ", got " + maxFrame);
        }
        try {
            return new FrameFormat(lengthBytes, order, lengthIncludesHeader, (int) maxFrame);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(cli, e.getMessage());
        }
    }

    static final class ByteOrderConverter implements ITypeConverter<ByteOrder> {
        @Override
        public ByteOrder convert(String value) {
            return switch (value.toLowerCase(Locale.ROOT)) {
                case "big" -> ByteOrder.BIG_ENDIAN;
                case "little" -> ByteOrder.LITTLE_ENDIAN;
                default -> throw new TypeConversionException("expected big or little, got '" + value + "'");
            };
        }
    }
}
