package loomframe.bench;

import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

/**
 * The command-line loop every benchmark main shares: {@code --name value} options and bare flags,
 * {@code -h}/{@code --help} prints the usage, a usage error is one line on stderr and exit status 2.
 *
 * <pre>
 *   for (Args a = new Args("EchoRounds", USAGE, args); a.next(); ) {
 *       switch (a.name()) {
 *           case "--rounds" -> rounds = a.integer();
 *           case "--fail-on-error" -> failOnError = true;      // a flag: takes no value
 *           default -> a.unknown();
 *       }
 *   }
 * </pre>
 */
final class Args {
    private final String tool;
    private final String usage;
    private final String[] args;
    private int at = -1;

    Args(String tool, String usage, String[] args) {
        this.tool = tool;
        this.usage = usage;
        this.args = args;
    }

    /** Moves to the next option; false at the end. Prints the usage and exits 0 on -h or --help. */
    boolean next() {
        if (++at >= args.length) return false;
        if (name().equals("-h") || name().equals("--help")) {
            System.out.println("usage: " + tool + " " + usage);
            System.exit(0);
        }
        return true;
    }

    String name() {
        return args[at];
    }

    /** The option's value: the next argument. */
    String value() {
        String name = name();
        if (at + 1 >= args.length) fail(name + " needs a value");
        return args[++at];
    }

    int integer() {
        return parsed(Integer::parseInt, "a whole number");
    }

    double number() {
        return parsed(Double::parseDouble, "a number");
    }

    private <T> T parsed(Function<String, T> parse, String what) {
        String name = name(), v = value();
        try {
            return parse.apply(v);
        } catch (NumberFormatException e) {
            fail(name + " must be " + what + ", got " + v);
            return null;
        }
    }

    /** A comma-separated value, blanks dropped. */
    List<String> list() {
        return split(value());
    }

    void unknown() {
        fail("unknown option " + name());
    }

    void fail(String message) {
        System.err.println(tool + ": " + message + " (see --help)");
        System.exit(2);
    }

    static List<String> split(String s) {
        return Arrays.stream(s.split(",")).map(String::trim).filter(x -> !x.isEmpty()).toList();
    }
}
