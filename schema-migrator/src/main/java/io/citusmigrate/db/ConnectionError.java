package io.citusmigrate.db;

import io.citusmigrate.UserError;

/** A database that cannot be reached: the message names which one and why. */
public class ConnectionError extends UserError {
    public ConnectionError(String message) {
        super(message);
    }
}
