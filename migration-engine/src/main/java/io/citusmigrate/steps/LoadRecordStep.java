package io.citusmigrate.steps;

import io.citusmigrate.crash.CrashPoints;
import io.citusmigrate.live.BulkLoadRecord;

import java.sql.Connection;
import java.sql.SQLException;

/** The bulk load's end, on the target: from here on a rerun streams from the slot instead of starting over. */
final class LoadRecordStep implements Step {
    @Override
    public StepName name() {
        return StepName.BULK_LOAD_RECORD;
    }

    @Override
    public boolean run(Migration m) throws SQLException {
        CrashPoints.reach("bulk.before-record"); // loaded and verified, not recorded yet
        try (Connection target = m.target()) {
            BulkLoadRecord.finished(target, m.settings.slot(), m.consistentPoint);
            m.ownsSlot = false; // a failure from here on leaves the slot: --resume streams from it
        } catch (SQLException e) {
            throw m.targetFailed(e);
        }
        return true;
    }
}
