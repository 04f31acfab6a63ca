package io.citusmigrate;

import io.citusmigrate.catalog.Catalog;
import io.citusmigrate.catalog.CatalogReader;
import io.citusmigrate.load.LoadCommand;
import io.citusmigrate.load.LoadFileParser;
import io.citusmigrate.plan.Plan;
import io.citusmigrate.plan.Planner;
import io.citusmigrate.testing.EmbeddedPg;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;

/** Test helper: a source database on the class's embedded server, its catalog and plans. */
public final class SourceDb {
    public final EmbeddedPg pg;
    public final String db;

    public SourceDb(EmbeddedPg pg, String prefix) {
        this.pg = pg;
        this.db = pg.createDatabase(prefix);
    }

    public SourceDb run(String sql) {
        pg.exec(db, sql);
        return this;
    }

    public SourceDb runResource(String resource) {
        try (InputStream in = SourceDb.class.getResourceAsStream(resource)) {
            return run(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public String url() {
        return pg.url(db);
    }

    public Catalog catalog() {
        try (Connection c = pg.connect(db)) {
            return new CatalogReader(c).read();
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Parses a command file whose FROM is this database; {@code rest} follows the INTO clause. */
    public LoadCommand command(String targetUrl, String rest) {
        return LoadFileParser.parse("test.load", "load database from " + url() + " into " + targetUrl + "\n" + rest, System::getenv);
    }

    public Plan plan(String rest) {
        return Planner.plan(command("pgsql://localhost/target", rest), catalog());
    }
}
