package io.citusmigrate.live;

import io.citusmigrate.UserError;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import java.util.List;

/**
 * The citus_migrate schema on the target, where a migration records how far it got (by slot):
 * this class owns it. Its DDL is in {@code progress-catalog.sql} beside this class, with a
 * version: an older catalog is brought up to this one, a newer one (a later citus-migrate) is
 * refused. {@link #TABLES} is what `cleanup` removes and `status` reads from. The sink's own
 * tables (its positions, kept with the rows it writes) are made by the sink, which may run on a
 * Connect worker without this module, and are listed here for `cleanup`.
 */
public final class ProgressCatalog {
    /** This version of the catalog's DDL. */
    public static final int VERSION = 2;
    static final String SCHEMA = "citus_migrate";

    /** A table of the catalog and the column that names the migration, its slot or its sink. */
    public record CatalogTable(String name, String keyColumn) {
        /** The migration's key in this table: the slot, or the name the live run's sink keeps its positions under. */
        public String key(String slot) {
            return keyColumn.equals("sink") ? LiveStream.sinkName(slot) : slot;
        }
    }

    public static final List<CatalogTable> TABLES = List.of(new CatalogTable("bulk_loads", "slot"), new CatalogTable("live_status", "slot"),
            new CatalogTable("cutover", "slot"), new CatalogTable("steps", "slot"), new CatalogTable("copied_ranges", "slot"),
            // the sink's, under its name
            new CatalogTable("sink_offsets", "sink"), new CatalogTable("source_offsets", "sink"), new CatalogTable("sink_partition_idle", "sink"),
            new CatalogTable("sink_rejects", "sink"), new CatalogTable("sink_moves", "sink"),
            // tables a cutover that never finished left with autovacuum off
            new CatalogTable("autovacuum_paused", "slot"),
            // the Connect cluster `deploy` put the migration on
            new CatalogTable("deployments", "slot"));

    private static final List<String> DDL = statements();

    private ProgressCatalog() {}

    /**
     * Makes the catalog, or brings an older one up to {@link #VERSION}; refuses a newer one. One
     * process at a time (an advisory lock): two creating it at once would collide.
     */
    public static void ensure(Connection target) throws SQLException {
        try (Statement s = target.createStatement()) {
            s.execute("SELECT pg_catalog.pg_advisory_lock(pg_catalog.hashtext('citus_migrate.catalog'))");
            try {
                Integer found = version(target);
                if (found != null && found == VERSION) return;
                if (found != null && found > VERSION) {
                    throw new UserError("the target's citus_migrate catalog is version " + found + ", made by a later citus-migrate than"
                            + " this one (which knows version " + VERSION + "): run the later one");
                }
                for (String ddl : DDL) s.execute(ddl);
                s.execute("DELETE FROM citus_migrate.catalog_version");
                try (PreparedStatement ps = target.prepareStatement("INSERT INTO citus_migrate.catalog_version VALUES (?)")) {
                    ps.setInt(1, VERSION);
                    ps.executeUpdate();
                }
            } finally {
                s.execute("SELECT pg_catalog.pg_advisory_unlock(pg_catalog.hashtext('citus_migrate.catalog'))");
            }
        }
    }

    /** The catalog's version on the target; null when it has none (none yet, or one from before versions). */
    public static Integer version(Connection target) throws SQLException {
        try (Statement s = target.createStatement();
             ResultSet rs = s.executeQuery("SELECT pg_catalog.to_regclass('citus_migrate.catalog_version') IS NOT NULL")) {
            rs.next();
            if (!rs.getBoolean(1)) return null;
        }
        try (Statement s = target.createStatement(); ResultSet rs = s.executeQuery("SELECT max(version) FROM citus_migrate.catalog_version")) {
            rs.next();
            int v = rs.getInt(1);
            return rs.wasNull() ? null : v;
        }
    }

    private static List<String> statements() {
        try (InputStream in = ProgressCatalog.class.getResourceAsStream("progress-catalog.sql")) {
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            String withoutComments = Arrays.stream(text.split("\n")).filter(l -> !l.strip().startsWith("--"))
                    .reduce("", (a, b) -> a + b + "\n");
            return Arrays.stream(withoutComments.split(";\\s*\n")).map(String::strip).filter(x -> !x.isEmpty()).toList();
        } catch (IOException | NullPointerException e) {
            throw new IllegalStateException("progress-catalog.sql is missing from the build", e);
        }
    }
}
