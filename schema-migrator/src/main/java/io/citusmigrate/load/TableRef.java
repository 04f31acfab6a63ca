package io.citusmigrate.load;

/** A table as a command file names it: schema optional, case already folded the PostgreSQL way. */
public record TableRef(String schema, String name, Position at) {
    @Override
    public String toString() {
        return schema == null ? name : schema + "." + name;
    }
}
