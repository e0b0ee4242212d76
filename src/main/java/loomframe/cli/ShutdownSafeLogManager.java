package loomframe.cli;

import java.util.logging.LogManager;

/**
 * The JDK's {@link LogManager}, except that once {@code serve} has set up its log it is no longer
 * reset at JVM exit. java.util.logging's own shutdown hook removes every handler, racing the hook
 * that drains the server: the drain's lines (a client forced closed at {@code --shutdown-timeout},
 * the {@code --drain-delay} notice) were lost. {@link Main} installs it through the standard
 * {@code java.util.logging.manager} property, unless the user chose a manager of their own.
 */
public final class ShutdownSafeLogManager extends LogManager {
    static final String PROPERTY = "java.util.logging.manager";
    private static volatile boolean keepHandlers;

    public ShutdownSafeLogManager() {}

    /** From now on {@link #reset()} leaves the handlers alone (called once the log is configured). */
    static void keepHandlers() {
        keepHandlers = true;
    }

    @Override
    public void reset() {
        if (!keepHandlers) super.reset();
    }
}
