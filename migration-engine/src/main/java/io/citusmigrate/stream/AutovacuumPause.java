package io.citusmigrate.stream;

import io.citusmigrate.progress.ProgressCatalog;
import io.citusmigrate.catalog.ForeignKey;
import io.citusmigrate.load.Option;
import io.citusmigrate.load.Options;
import io.citusmigrate.plan.Plan;
import io.citusmigrate.plan.TablePlan;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Autovacuum off, from just before writes stop until after the cutover, on the target tables its
 * foreign keys join. Adding a foreign key locks both tables; an autovacuum of any of their shards
 * holds a conflicting lock and gives way only when the waiter's deadlock check cancels it, a
 * second later (deadlock_timeout). On real Citus at 1,000 transactions/s with tenant moves some
 * shard is nearly always being vacuumed: the foreign keys took 1.5 s of a 2.8 s write downtime.
 * Turning autovacuum off waits for (and cancels) a running one too, but while the stream
 * catches up to the stop, before the marker, and it does not block the stream's writes. The tables changed are noted in citus_migrate.autovacuum_paused,
 * so that whoever finishes or gives up the cutover, in whichever process, turns it back on.
 */
public final class AutovacuumPause {
    /** Where the paused tables are noted (a message names it). */
    public static final String TABLE = "citus_migrate.autovacuum_paused";

    private AutovacuumPause() {}

    /** The tables the plan's foreign keys join, as SQL names (none when foreign keys are not created). */
    public static List<String> tables(Plan plan, Options options) {
        Set<String> out = new LinkedHashSet<>();
        if (!options.flag(Option.FOREIGN_KEYS)) return List.of();
        for (TablePlan t : plan.tables()) {
            for (ForeignKey fk : t.foreignKeys()) {
                addLeaves(plan, t, out);
                plan.tableByTarget(fk.refTable()).ifPresentOrElse(r -> addLeaves(plan, r, out), () -> out.add(fk.refTable().sql()));
            }
        }
        return new ArrayList<>(out);
    }

    /** A partitioned table has no storage of its own (PostgreSQL refuses the setting on it): its partitions get it. */
    private static void addLeaves(Plan plan, TablePlan t, Set<String> out) {
        if (!t.source().isPartitioned()) {
            out.add(t.target().sql());
            return;
        }
        for (TablePlan p : plan.tables()) {
            if (t.source().name().equals(p.source().partitionOf())) addLeaves(plan, p, out);
        }
    }

    /**
     * Turns autovacuum off on each table that has no autovacuum setting of its own (a user's
     * choice is left alone); returns how many. Waits for an autovacuum under way to be cancelled.
     */
    public static int pause(Connection target, String slot, List<String> tables) throws SQLException {
        return pause(target, slot, tables, line -> { });
    }

    /**
     * As {@link #pause(Connection, String, List)}; a table whose lock is not had within
     * {@link #LOCK_WAIT} (someone holds it) is left as it is and said: the pause only spares the
     * foreign keys a wait, and it must not hold up a cutover bounded by its --timeout.
     */
    public static int pause(Connection target, String slot, List<String> tables, java.util.function.Consumer<String> said) throws SQLException {
        if (tables.isEmpty()) return 0;
        ProgressCatalog.ensure(target);
        int n = 0;
        boolean autoCommit = target.getAutoCommit();
        target.setAutoCommit(false);
        try {
            for (String t : tables) {
                if (hasOwnSetting(target, t)) {
                    target.rollback();
                    continue;
                }
                try (Statement s = target.createStatement()) {
                    // the wait bounded on the workers too: a plain SET stays on the coordinator, and a shard's lock held on a
                    // worker made the ALTER wait as long as it was held (seen on Citus 13.2.2); SET LOCAL is passed on
                    s.execute("SET LOCAL citus.propagate_set_commands = 'local'");
                    s.execute("SET LOCAL lock_timeout = '" + LOCK_WAIT + "'");
                    // noted with the change, in its transaction
                    try (PreparedStatement ps = target.prepareStatement("INSERT INTO " + TABLE + " VALUES (?, ?, now()) ON CONFLICT DO NOTHING")) {
                        ps.setString(1, slot);
                        ps.setString(2, t);
                        ps.execute();
                    }
                    s.execute("ALTER TABLE " + t + " SET (autovacuum_enabled = false)");
                    target.commit();
                    n++;
                } catch (SQLException e) {
                    target.rollback();
                    if (!"55P03".equals(e.getSQLState())) throw e;
                    said.accept("autovacuum left on on " + t + ": its lock is held by another session (not had in " + LOCK_WAIT + ")");
                }
            }
        } finally {
            if (!target.isClosed()) target.setAutoCommit(autoCommit);
        }
        return n;
    }

    /**
     * How long the pause waits for a table's lock, on the coordinator and on each worker. An
     * autovacuum gives way to a waiter after deadlock_timeout (1 s by default); the pause runs
     * while writes are stopped, so whatever holds a lock longer is left to the foreign keys.
     */
    static final String LOCK_WAIT = "2s";

    private static void forget(Connection target, String slot, String table) throws SQLException {
        try (PreparedStatement ps = target.prepareStatement("DELETE FROM " + TABLE + " WHERE slot = ? AND table_name = ?")) {
            ps.setString(1, slot);
            ps.setString(2, table);
            ps.execute();
        }
    }

    /** What a cutover says after {@link #pause}; empty when nothing was paused. */
    public static String pausedLine(int n) {
        return n == 0 ? "" : "autovacuum paused on " + n + " target table" + (n == 1 ? "" : "s") + " until the cutover is done"
                + " (the foreign keys would wait for it)";
    }

    /** What is said after {@link #resume}; empty when nothing was paused. */
    public static String resumedLine(int n) {
        return n == 0 ? "" : "autovacuum on again on " + n + " target table" + (n == 1 ? "" : "s");
    }

    /** Turns autovacuum back on where this migration's cutover turned it off; returns on how many tables. */
    public static int resume(Connection target, String slot) throws SQLException {
        List<String> paused = paused(target, slot);
        for (String t : paused) {
            if (exists(target, t)) {
                try (Statement s = target.createStatement()) {
                    s.execute("ALTER TABLE " + t + " RESET (autovacuum_enabled)");
                }
            }
            forget(target, slot, t);
        }
        return paused.size();
    }

    /** The tables a cutover of this migration paused autovacuum on and nobody turned back on yet (`status` names them). */
    public static List<String> paused(Connection target, String slot) throws SQLException {
        List<String> paused = new ArrayList<>();
        if (!exists(target, TABLE)) return paused; // no cutover ever paused anything here
        try (PreparedStatement ps = target.prepareStatement("SELECT table_name FROM " + TABLE + " WHERE slot = ? ORDER BY table_name")) {
            ps.setString(1, slot);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) paused.add(rs.getString(1));
            }
        }
        return paused;
    }

    /**
     * {@link #resume} after a cutover that did not finish, whose own error matters more: a failure
     * here is a warning (the next cutover that finishes, or `cleanup`, turns autovacuum back on).
     */
    public static void resumeAfterFailure(Connection target, String slot, java.io.PrintWriter err) {
        try {
            resume(target, slot);
        } catch (SQLException e) {
            err.println("warning: autovacuum could not be turned back on on the target tables noted in " + TABLE + " ("
                    + io.citusmigrate.db.Databases.oneLine(e, null) + "); the next cutover that finishes, or `cleanup`, does it");
            err.flush();
        }
    }

    private static boolean hasOwnSetting(Connection target, String table) throws SQLException {
        try (PreparedStatement ps = target.prepareStatement("SELECT EXISTS (SELECT 1 FROM pg_catalog.unnest(c.reloptions) o"
                + " WHERE o LIKE 'autovacuum\\_enabled=%') AND NOT EXISTS (SELECT 1 FROM " + TABLE + " p WHERE p.table_name = ?)"
                + " FROM pg_catalog.pg_class c WHERE c.oid = pg_catalog.to_regclass(?)")) {
            ps.setString(1, table);
            ps.setString(2, table);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        }
    }

    private static boolean exists(Connection target, String table) throws SQLException {
        try (PreparedStatement ps = target.prepareStatement("SELECT pg_catalog.to_regclass(?) IS NOT NULL")) {
            ps.setString(1, table);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        }
    }
}
