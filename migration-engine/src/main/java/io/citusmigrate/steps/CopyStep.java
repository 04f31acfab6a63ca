package io.citusmigrate.steps;

import io.citusmigrate.ddl.SchemaCreator;
import io.citusmigrate.live.CopyRecord;
import io.citusmigrate.plan.TablePlan;

import java.sql.Connection;
import java.sql.SQLException;
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
        var prepared = m.prepared;
        m.sourceSums = CompletableFuture.supplyAsync(() -> m.loader.sourceChecksums(prepared, m.settings.workers()));
        return true;
    }

    static void truncate(Migration m, SchemaCreator creator) {
        for (TablePlan t : m.plan.tables()) {
            if (!t.isPartition()) creator.execute("truncate of " + t.target(), "TRUNCATE " + t.target().sql() + " CASCADE");
        }
    }
}
