package io.citusmigrate.load;

/** A place in a command file, printed the way compilers do: {@code file:line:col}. */
public record Position(String file, int line, int col) {
    @Override
    public String toString() {
        return file + ":" + line + ":" + col;
    }
}
