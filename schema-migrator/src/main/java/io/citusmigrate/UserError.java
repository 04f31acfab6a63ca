package io.citusmigrate;

/**
 * An error caused by the user's input or environment (a bad command file, an unreachable
 * database, a plan Citus would reject). The command line prints its message as one line and
 * no stack trace.
 */
public class UserError extends RuntimeException {
    public UserError(String message) {
        super(message);
    }

    public UserError(String message, Throwable cause) {
        super(message, cause);
    }
}
