package loomframe.cli;

/** The little JSON the command line writes (load's {@code --json} report, {@code --log-format json}): string quoting. */
final class Json {
    private Json() {}

    /** {@code s} as a JSON string literal, quotes included; control characters escaped, so it stays on one line. */
    static String quote(String s) {
        var sb = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    // U+2028/2029 are legal in JSON but end a line for some readers: escape them too.
                    if (c < 0x20 || c == '\u2028' || c == '\u2029') sb.append(String.format("\\u%04x", (int) c));
                    else sb.append(c);
                }
            }
        }
        return sb.append('"').toString();
    }
}
