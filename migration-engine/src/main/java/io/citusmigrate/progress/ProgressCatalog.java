package io.citusmigrate.progress;

import io.citusmigrate.stream.LiveStream;
import io.citusmigrate.UserError;
import io.citusmigrate.sql.Sql;

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
            new CatalogTable("sink_rejects", "sink"), new CatalogTable("sink_moves", "sink"), new CatalogTable("sink_tables", "sink"),
            new CatalogTable("sink_began", "sink"), new CatalogTable("sink_altered", "sink"),
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

    /** Makes the catalog where it is not yet (see {@link #ensure}), then {@link #update}. */
    static int write(Connection target, String sql, Object... values) throws SQLException {
        ensure(target);
        return update(target, sql, values);
    }

    /** One statement on the catalog's tables, its values bound in order; returns the rows it changed. */
    static int update(Connection target, String sql, Object... values) throws SQLException {
        try (PreparedStatement ps = target.prepareStatement(sql)) {
            for (int i = 0; i < values.length; i++) ps.setObject(i + 1, values[i]);
            return ps.executeUpdate();
        }
    }

    /** A read of the catalog that failed because no migration made it (or this table of it) yet: nothing is recorded. */
    static boolean notMadeYet(SQLException e) {
        return "42P01".equals(e.getSQLState()) || "3F000".equals(e.getSQLState());
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

    /** The migration's rows in one of the catalog's tables (0 when the table is not there). */
    public static long count(Connection target, CatalogTable table, String slot) throws SQLException {
        if (!tableExists(target, table.name())) return 0;
        try (PreparedStatement ps = target.prepareStatement("SELECT count(*) FROM " + SCHEMA + "." + Sql.ident(table.name()) + " WHERE "
                + Sql.ident(table.keyColumn()) + " = ?")) {
            ps.setString(1, table.key(slot));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /** Deletes the migration's rows from {@code tables}; true when the schema then held nothing else and was dropped. */
    public static boolean forget(Connection target, List<CatalogTable> tables, String slot) throws SQLException {
        for (CatalogTable t : tables) {
            try (PreparedStatement ps = target.prepareStatement("DELETE FROM " + SCHEMA + "." + Sql.ident(t.name()) + " WHERE "
                    + Sql.ident(t.keyColumn()) + " = ?")) {
                ps.setString(1, t.key(slot));
                ps.executeUpdate();
            }
        }
        if (!empty(target)) return false;
        try (Statement s = target.createStatement()) {
            s.execute("DROP SCHEMA IF EXISTS " + SCHEMA + " CASCADE");
        }
        return true;
    }

    /** No rows in any of the catalog's tables, and no table but ours in the schema. */
    private static boolean empty(Connection target) throws SQLException {
        for (CatalogTable t : TABLES) {
            if (!tableExists(target, t.name())) continue;
            try (Statement s = target.createStatement();
                 ResultSet rs = s.executeQuery("SELECT EXISTS (SELECT 1 FROM " + SCHEMA + "." + Sql.ident(t.name()) + ")")) {
                rs.next();
                if (rs.getBoolean(1)) return false;
            }
        }
        try (Statement s = target.createStatement(); ResultSet rs = s.executeQuery("SELECT c.relname FROM pg_catalog.pg_class c"
                + " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'citus_migrate' AND c.relkind IN ('r', 'p')")) {
            while (rs.next()) {
                String name = rs.getString(1);
                if (!name.equals("catalog_version") && TABLES.stream().noneMatch(t -> t.name().equals(name))) return false;
            }
        }
        return true;
    }

    /** Whether the catalog has this table (by its name in the schema): a target no migration touched has none. */
    static boolean tableExists(Connection target, String table) throws SQLException {
        try (PreparedStatement ps = target.prepareStatement("SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n"
                + " ON n.oid = c.relnamespace WHERE n.nspname = 'citus_migrate' AND c.relname = ?")) {
            ps.setString(1, table);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
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
