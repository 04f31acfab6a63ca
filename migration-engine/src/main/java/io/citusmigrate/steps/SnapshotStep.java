package io.citusmigrate.steps;

import io.citusmigrate.copy.SourceSnapshot;
import io.citusmigrate.crash.CrashPoints;

/**
 * The source snapshot the copy reads: exported by the migration's persistent slot for a live
 * migration (streaming starts exactly where it ends), by a temporary one for a bulk load. Orphan
 * rows stop the run here, before the target is touched.
 */
final class SnapshotStep implements Step {
    @Override
    public StepName name() {
        return StepName.SNAPSHOT;
    }

    @Override
    public boolean run(Migration m) {
        boolean live = m.settings.live();
        m.snapshot = SourceSnapshot.open(m.settings.source(), m.settings.slot(), !live);
        m.consistentPoint = String.valueOf(m.snapshot.consistentPoint());
        m.say("source snapshot " + m.snapshot.name() + (m.snapshot.slot() != null
                ? " exported by " + (live ? "" : "temporary ") + "slot " + m.snapshot.slot() + " at " + m.snapshot.consistentPoint() : ""));
        CrashPoints.reach("bulk.after-snapshot");
        m.prepared = m.loader.prepare(m.snapshot);
        return true;
    }
}
