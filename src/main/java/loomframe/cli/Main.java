package loomframe.cli;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The {@code loomframe} command: {@code serve}, {@code send} and {@code load}.
 *
 * <p>Exit codes: 0 success, 1 run-time failure (refused, mismatch, lost frame, port in use),
 * 2 usage error. Every failure is one line on stderr beginning {@code loomframe: }; {@code -v}
 * on {@code serve} adds stack traces to the log.
 */
@Command(name = "loomframe", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        sortOptions = false, usageHelpAutoWidth = true,
        description = "Length-prefixed TCP framing server, client and load generator.",
        subcommands = {ServeCommand.class, SendCommand.class, LoadCommand.class, CommandLine.HelpCommand.class},
        footer = {"", "Exit codes: 0 success, 1 run-time failure (refused, mismatch, lost frame), 2 usage error.",
                "Sizes take KiB/MiB suffixes, durations ms/s/m. Run 'loomframe COMMAND --help' for a command's options."})
public final class Main implements Callable<Integer> {
    static final int OK = 0;
    static final int FAILURE = 1;
    static final int USAGE = 2;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "missing command: serve, send or load (see loomframe --help)");
    }

    public static void main(String... args) {
        // Before anything touches java.util.logging: the drain's log lines must survive JVM exit.
        if (System.getProperty(ShutdownSafeLogManager.PROPERTY) == null) {
            System.setProperty(ShutdownSafeLogManager.PROPERTY, ShutdownSafeLogManager.class.getName());
        }
        int code = run(System.out, System.err, args);
        System.out.flush();
        System.exit(code);
    }

    /** Runs one command line in this JVM and returns its exit code; never calls {@code System.exit}. */
    public static int run(String... args) {
        return run(System.out, System.err, args);
    }

    /** Like {@link #run(String...)}, with the command's output and errors sent where given. */
    public static int run(PrintStream out, PrintStream err, String... args) {
        Logging.reset();
        var cli = new CommandLine(new Main());
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        cli.setParameterExceptionHandler((e, a) -> fail(e.getCommandLine().getErr(), usageMessage(e), null, USAGE));
        cli.setExecutionExceptionHandler((e, commandLine, parsed) -> {
            boolean trace = !(e instanceof CommandFailure) || Logging.verbose();  // a surprise: the trace is the useful part
            return fail(commandLine.getErr(), e instanceof CommandFailure ? e.getMessage() : e.toString(), trace ? e : null, FAILURE);
        });
        return cli.execute(args);
    }

    /** Picocli's message without its {@code Error: } prefix; unknown or missing options point to the help. */
    private static String usageMessage(ParameterException e) {
        String m = String.valueOf(e.getMessage()).replaceFirst("^Error: ", "");
        if (e instanceof CommandLine.UnmatchedArgumentException || e instanceof CommandLine.MissingParameterException) {
            m += " (see '" + e.getCommandLine().getCommandSpec().qualifiedName() + " --help')";
        }
        return m;
    }

    /** One line on stderr (a JSON object with {@code serve --log-format json}), after the trace if there is one. */
    private static int fail(PrintWriter err, String message, Throwable trace, int code) {
        String line = message == null ? "failed" : message.strip().replaceAll("\\s*\\R\\s*", "; ");
        err.println(Logging.failure(line, trace));
        err.flush();
        return code;
    }

    /** The version from the jar manifest ({@code Implementation-Version}); {@code dev} outside the jar. */
    static final class Version implements IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"loomframe " + (v == null ? "dev" : v)
                    + " (java " + Runtime.version() + ", " + System.getProperty("java.vm.name") + ")"};
        }
    }
}
