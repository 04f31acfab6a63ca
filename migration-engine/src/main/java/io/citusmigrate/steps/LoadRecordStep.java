package io.citusmigrate.steps;

import io.citusmigrate.crash.CrashPoints;
import io.citusmigrate.progress.BulkLoadRecord;


/**
 * The bulk load's end, on the target: from here on a rerun streams from the slot instead of
 * starting over (and a failure leaves the slot). Needs {@link SnapshotStep.Taken}.
 */
@Step.Needs(SnapshotStep.Taken.class)
final class LoadRecordStep implements Step {
    @Override
    public boolean run(Migration m, Outputs in) {
        String consistentPoint = in.get(SnapshotStep.Taken.class).consistentPoint();
        CrashPoints.reach("bulk.before-record"); // loaded and verified, not recorded yet
        m.onTarget(target -> BulkLoadRecord.finished(target, m.settings.slot(), consistentPoint));
        return true;
    }
}
