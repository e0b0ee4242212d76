package loomframe.server.core;

/** Formats byte counts the way the command line takes them: {@code 16MiB}, {@code 64KiB} when exact, else plain bytes. */
public final class Sizes {
    private Sizes() {}

    public static String format(long bytes) {
        if (bytes >= 1L << 30 && bytes % (1L << 30) == 0) return (bytes >> 30) + "GiB";
        if (bytes >= 1L << 20 && bytes % (1L << 20) == 0) return (bytes >> 20) + "MiB";
        if (bytes >= 1L << 10 && bytes % (1L << 10) == 0) return (bytes >> 10) + "KiB";
        return bytes + "B";
    }
}
