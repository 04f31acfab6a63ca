package io.citusmigrate;

/** An error in what the user gave: a command file that cannot be read or parsed. Exit code 2. */
public class BadInput extends UserError {
    public BadInput(String message) {
        super(message);
    }
}
