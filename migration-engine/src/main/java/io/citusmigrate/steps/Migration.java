package io.citusmigrate.steps;

import io.citusmigrate.UserError;
import io.citusmigrate.catalog.Catalog;
import io.citusmigrate.copy.BulkLoader;
import io.citusmigrate.copy.SourceSnapshot;
import io.citusmigrate.db.Databases;
import io.citusmigrate.ddl.SchemaScript;
import io.citusmigrate.ddl.Statement;
import io.citusmigrate.plan.Plan;

import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

/**
 * One run of `migrate`: its settings, its plan and its console, which every step reads and none
 * changes. What a step hands on to the steps after it is its typed output ({@link Outputs}).
 */
public final class Migration {
    final MigrationSettings settings;
    /** The plan and the catalog it was made from (a stream that carried a new table hands on its own: {@link StreamStep.Streamed}). */
    final Catalog catalog;
    final Plan plan;
    final PrintWriter out;
    final PrintWriter err;
    final BulkLoader loader;
    final long started = System.nanoTime();

    public Migration(MigrationSettings settings, Catalog catalog, Plan plan, PrintWriter out, PrintWriter err) {
        this(settings, catalog, plan, out, err, false);
    }

    private Migration(MigrationSettings settings, Catalog catalog, Plan plan, PrintWriter out, PrintWriter err, boolean laterDatabase) {
        this.laterDatabase = laterDatabase;
        this.settings = settings;
        this.catalog = catalog;
        this.plan = plan;
        this.out = out;
        this.err = err;
        this.loader = new BulkLoader(plan, settings.command(), ProgressReporter.forConsole(out), this::say);
    }

    /**
     * Tenant databases consolidated: this run as a step that reads one of them sees it (that
     * database as the source, its own catalog, the plan with its tenant and shares alone).
     */
    Migration forDatabase(String database) {
        return databases.computeIfAbsent(database, db -> {
            MigrationSettings sub = settings.forDatabase(db);
            return new Migration(sub, io.citusmigrate.catalog.TenantDatabases.catalog(sub.command(), db), plan.forDatabase(db), out, err,
                    !db.equals(plan.tenantDatabases().get(0)));
        });
    }

    /** A tenant database taken in while streaming: its run with the plan as it is now (which has its tenant) and its catalog. */
    Migration forDatabase(String database, Plan now, Catalog catalog) {
        Migration one = new Migration(settings.forDatabase(database), catalog, now.forDatabase(database), out, err, true);
        databases.put(database, one);
        return one;
    }

    /** Each tenant database's run, made once. */
    private final java.util.Map<String, Migration> databases = new java.util.HashMap<>();

    /** A later tenant database's run: what is done to the target once for all (a TRUNCATE) was done by the first's. */
    final boolean laterDatabase;

    void say(String line) {
        out.println(line);
        out.flush();
    }

    /** A step's line: what it did, in how many statements. */
    void said(String what, int statements) {
        say("  " + what + ": " + statements + " statements");
    }

    List<Statement> script() {
        return script(plan);
    }

    List<Statement> script(Plan p) {
        return SchemaScript.of(p, settings.command().options());
    }

    /** Work on a target connection of its own. */
    interface OnTarget {
        void run(Connection target) throws SQLException;
    }

    /** What is read on a target connection of its own. */
    interface FromTarget<T> {
        T read(Connection target) throws SQLException;
    }

    /** Work on a source and a target connection of their own. */
    interface OnBoth {
        void run(Connection source, Connection target) throws SQLException;
    }

    /** Runs the work on a new target connection, closed after it; a failure is said as the target's. */
    void onTarget(OnTarget work) {
        fromTarget(target -> {
            work.run(target);
            return null;
        });
    }

    /** Reads on a new target connection, closed after it; a failure is said as the target's. */
    <T> T fromTarget(FromTarget<T> read) {
        try (Connection target = target()) {
            return read.read(target);
        } catch (SQLException e) {
            throw targetFailed(e);
        }
    }

    /** Runs the work on new source and target connections, closed after it; a failure is said as the target's. */
    void onBoth(OnBoth work) {
        try (Connection source = source(); Connection target = target()) {
            work.run(source, target);
        } catch (SQLException e) {
            throw targetFailed(e);
        }
    }

    Connection target() {
        return Databases.target(settings.command());
    }

    Connection source() throws SQLException {
        return Databases.connect("source", settings.source());
    }

    /** A source connection reading the bulk load's snapshot (open until the run's last step). */
    Connection snapshotReader(SourceSnapshot snapshot) throws SQLException {
        Connection c = source();
        try {
            snapshot.use(c);
        } catch (SQLException e) {
            io.citusmigrate.db.Databases.close(c);
            throw e;
        }
        return c;
    }

    UserError targetFailed(SQLException e) {
        return new UserError("the target database " + settings.target() + " failed: " + Databases.oneLine(e, settings.target()));
    }

    UserError sourceFailed(SQLException e) {
        return new UserError("the source " + settings.source() + " failed: " + Databases.oneLine(e, settings.source()));
    }

    static double secs(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }
}
