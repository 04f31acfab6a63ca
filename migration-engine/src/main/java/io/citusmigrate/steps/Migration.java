package io.citusmigrate.steps;

import io.citusmigrate.UserError;
import io.citusmigrate.catalog.Catalog;
import io.citusmigrate.copy.BulkLoader;
import io.citusmigrate.copy.Checksum;
import io.citusmigrate.copy.SourceSnapshot;
import io.citusmigrate.copy.TableResult;
import io.citusmigrate.db.Databases;
import io.citusmigrate.ddl.SchemaScript;
import io.citusmigrate.ddl.Statement;
import io.citusmigrate.live.BulkLoadRecord;
import io.citusmigrate.plan.Plan;
import io.citusmigrate.verify.Verifier;

import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * One run of `migrate`: its settings, its console, and what its steps hand on to the steps after
 * them (the snapshot, the prepared copy, the results). Only the steps of this run share it.
 */
public final class Migration {
    final MigrationSettings settings;
    /** The plan and the catalog it was made from; a stream that carried a new table hands on its own. */
    Catalog catalog;
    Plan plan;
    final PrintWriter out;
    final PrintWriter err;
    final BulkLoader loader;
    /** Seconds per step, in the order they ran. */
    final Map<String, Double> seconds = new LinkedHashMap<>();
    final long started = System.nanoTime();

    SourceSnapshot snapshot;
    BulkLoader.Prepared prepared;
    String consistentPoint;
    List<TableResult> results = List.of();
    List<Verifier.TableCheck> checks = List.of();
    CompletableFuture<Map<String, Checksum>> sourceSums;
    /** Set when a rerun starts over after an interrupted bulk load (see ResumePoint). */
    BulkLoadRecord.State startOver;
    /** This run made the slot and publication: a failure before streaming removes them. */
    boolean ownsSlot;
    /** `data only` with `drop indexes`: the indexes dropped before the rows, to create again after them. */
    List<Statement> droppedIndexes = List.of();
    /** Where the bulk load's summary table goes (the console unless told). */
    PrintWriter summary;

    /** The summary table to another writer as well (pgloader's --summary). */
    public void summaryTo(PrintWriter w) {
        this.summary = w;
    }

    public Migration(MigrationSettings settings, Catalog catalog, Plan plan, PrintWriter out, PrintWriter err) {
        this.settings = settings;
        this.catalog = catalog;
        this.plan = plan;
        this.out = out;
        this.err = err;
        this.loader = new BulkLoader(plan, settings.command(), ProgressReporter.forConsole(out), this::say);
    }

    void say(String line) {
        out.println(line);
        out.flush();
    }

    /** A step's line: what it did, in how many statements. */
    void said(String what, int statements) {
        say("  " + what + ": " + statements + " statements");
    }

    List<Statement> script() {
        return SchemaScript.of(plan, settings.command().options());
    }

    Connection target() {
        return Databases.target(settings.command());
    }

    Connection source() throws SQLException {
        return Databases.connect("source", settings.source());
    }

    /** A source connection reading the bulk load's snapshot (open until the run's last step). */
    Connection snapshotReader() throws SQLException {
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
