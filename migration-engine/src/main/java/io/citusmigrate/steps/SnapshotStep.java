package io.citusmigrate.steps;

import io.citusmigrate.copy.BulkLoader;
import io.citusmigrate.copy.SourceSnapshot;
import io.citusmigrate.crash.CrashPoints;


/**
 * The source snapshot the copy reads: exported by the migration's persistent slot for a live
 * migration (streaming starts exactly where it ends), by a temporary one for a bulk load. Orphan
 * rows stop the run here, before the target is touched. Hands on {@link Taken}.
 */
@Step.Makes(SnapshotStep.Taken.class)
final class SnapshotStep implements Step {
    /** The snapshot (open until the run ends) and the copy prepared from it: its ranges and orphans. */
    record Taken(SourceSnapshot snapshot, BulkLoader.Prepared prepared) {
        /** Where the slot's stream begins, as the bulk load's record keeps it. */
        String consistentPoint() {
            return String.valueOf(snapshot.consistentPoint());
        }
    }

    @Override
    public boolean run(Migration m, Outputs in) {
        boolean live = m.settings.live();
        SourceSnapshot snapshot = SourceSnapshot.open(m.settings.source(), m.settings.slot(), !live);
        m.say((m.plan.tenantDatabases().isEmpty() ? "" : "tenant database " + m.settings.source().database() + ": ") + "source snapshot " + snapshot.name() + (snapshot.slot() != null
                ? " exported by " + (live ? "" : "temporary ") + "slot " + snapshot.slot() + " at " + snapshot.consistentPoint() : ""));
        try {
            CrashPoints.reach("bulk.after-snapshot");
            in.add(new Taken(snapshot, m.loader.prepare(snapshot)));
        } catch (RuntimeException e) {
            snapshot.close();
            throw e;
        }
        return true;
    }
}
