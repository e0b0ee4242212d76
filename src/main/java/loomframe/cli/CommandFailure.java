package loomframe.cli;

/**
 * A command failed at run time (refused, mismatch, lost reply, port in use): {@link Main} prints
 * the message as one line on stderr and exits 1. Usage errors are picocli's
 * {@code ParameterException} instead, and exit 2.
 */
final class CommandFailure extends RuntimeException {
    CommandFailure(String message) {
        super(message);
    }

    CommandFailure(String message, Throwable cause) {
        super(message, cause);
    }
}
