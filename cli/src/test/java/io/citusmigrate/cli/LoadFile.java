package io.citusmigrate.cli;

import io.citusmigrate.testing.CitusTarget;
import io.citusmigrate.testing.EmbeddedPg;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A test's command file: a source database into a schema of its own on the target, with the options and rules given. */
final class LoadFile {
    private LoadFile() {}

    /** Writes {@code file}: `load database from` the source `into` the target `with` {@code with}, public renamed to {@code schema}, then {@code rules}. */
    static Path write(Path file, EmbeddedPg pg, String db, CitusTarget citus, String schema, String with, String rules) throws IOException {
        return write(file, pg, db, citus, "public", schema, with, rules);
    }

    /** The same for the source's schema {@code from}. */
    static Path write(Path file, EmbeddedPg pg, String db, CitusTarget citus, String from, String schema, String with, String rules)
            throws IOException {
        Files.writeString(file, """
                load database from %s into %s with %s
                  alter schema '%s' rename to '%s' %s;
                """.formatted(pg.url(db), citus.url(), with, from, schema, rules));
        return file;
    }

    /** The example application's tables in {@code db}, at a small scale (an orphan every {@code orphanEvery} rows, 0: none). */
    static io.citusmigrate.example.ExampleData.Counts example(EmbeddedPg pg, String db, long orphanEvery) throws java.sql.SQLException {
        try (java.sql.Connection c = pg.connect(db)) {
            return io.citusmigrate.example.ExampleData.generate(c, 0.002, orphanEvery);
        }
    }
}
