package io.citusmigrate.steps;

import io.citusmigrate.UserError;
import io.citusmigrate.stream.LiveSource;
import io.citusmigrate.progress.BulkLoadRecord;
import io.citusmigrate.progress.CopyRecord;
import io.citusmigrate.progress.CutoverTable;
import io.citusmigrate.stream.LiveStream;
import io.citusmigrate.stream.ReplicaIdentities;
import io.citusmigrate.progress.StepRecord;
import io.citusmigrate.sink.SinkPositions;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * The publication of the plan's tables, made before the slot (pgoutput reads it as of each
 * change). A slot of the same name already there belongs to a migration under way or
 * interrupted: refused, saying how to resume it or remove it. From here until the bulk load is
 * recorded the run owns the slot: a failure removes it ({@link Steps#run}).
 */
final class PublicationStep implements Step {
    @Override
    public boolean run(Migration m, Outputs in) throws SQLException {
        MigrationSettings s = m.settings;
        try (Connection source = m.source()) {
            if (LiveSource.slotExists(source, s.slot())) {
                throw new UserError("the source already has the replication slot " + s.slot() + ": a live migration is under way or"
                        + " was interrupted. Stream from it again with `citus-migrate migrate " + s.file() + " --resume`, or remove it"
                        + " with `citus-migrate cleanup " + s.file() + "` to start over");
            }
            // Debezium's snapshot may read a keyless table's rows twice after a restart; the bulk load cannot
            if (s.viaDebezium()) LiveSource.refuseKeyless(m.plan);
            ReplicaIdentities.refuseUnmatchable(m.plan);
            LiveSource.createPublication(source, s.publication(), m.plan, s.command().distribute());
            // a new run, before its slot exists: nothing an earlier migration on this slot recorded may steer a rerun of this one
            try (Connection target = m.target()) {
                forgetEarlier(target, s.slot());
            }
        } catch (SQLException e) {
            throw m.sourceFailed(e);
        }
        return true;
    }

    /** What an earlier migration recorded under a slot: forgotten by a new run (tenant databases: the migration's own slot too). */
    static void forgetEarlier(Connection target, String slot) throws SQLException {
        StepRecord.forget(target, slot);
        CutoverTable.forget(target, slot);
        BulkLoadRecord.forget(target, slot);
        CopyRecord.forget(target, slot);
        SinkPositions.forget(target, LiveStream.sinkName(slot));
    }
}
