package io.citusmigrate.steps;

import io.citusmigrate.ddl.SchemaCreator;
import io.citusmigrate.copy.LargeObjects;
import io.citusmigrate.copy.TableResult;
import io.citusmigrate.live.CopyRecord;
import io.citusmigrate.plan.TablePlan;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The rows, by COPY from the snapshot in parallel ranges. The source is idle while the target
 * builds its keys next: its checksums of the snapshot are taken meanwhile, for the verification.
 */
final class CopyStep implements Step {
    @Override
    public String name() {
        return "data";
    }

    @Override
    public boolean run(Migration m) throws SQLException {
        if (m.settings.truncate()) {
            try (Connection target = m.target()) {
                truncate(m, new SchemaCreator(target, m::say));
            } catch (SQLException e) {
                throw m.targetFailed(e);
            }
        }
        if (m.settings.live()) m.loader.recordRanges(CopyRecord.recorder(m.settings.slot()));
        m.results = m.loader.load(m.prepared);
        largeObjects(m);
        var prepared = m.prepared;
        m.sourceSums = CompletableFuture.supplyAsync(() -> m.loader.sourceChecksums(prepared, m.settings.workers()));
        return true;
    }

    /** The large objects the rows point at, with their oids, from the same snapshot: one more line of the summary. */
    private static void largeObjects(Migration m) throws SQLException {
        long t = System.nanoTime();
        try (Connection source = m.snapshotReader(); Connection target = m.target()) {
            LargeObjects.Sync sync = LargeObjects.sync(source, target);
            if (sync.count() == 0 && sync.unlinked() == 0) return;
            List<TableResult> results = new ArrayList<>(m.results);
            results.add(new TableResult("(large objects)", sync.count(), sync.count(), 0, 0, Migration.secs(t)));
            m.results = List.copyOf(results);
        }
    }

    static void truncate(Migration m, SchemaCreator creator) {
        for (TablePlan t : m.plan.tables()) {
            if (!t.isPartition()) creator.execute("truncate of " + t.target(), "TRUNCATE " + t.target().sql() + " CASCADE");
        }
    }
}
