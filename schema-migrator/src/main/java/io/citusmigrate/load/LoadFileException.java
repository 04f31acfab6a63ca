package io.citusmigrate.load;

/** A command file that cannot be used, with the place that is wrong. */
public class LoadFileException extends io.citusmigrate.BadInput {
    private final Position position;

    public LoadFileException(Position position, String message) {
        super(position + ": " + message);
        this.position = position;
    }

    public Position position() {
        return position;
    }
}
