package io.citusmigrate.steps;

import io.citusmigrate.verify.Verifier;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;

/**
 * Each table's checksum on the target against the source's in the snapshot the copy read. Needs
 * {@link SnapshotStep.Taken} and {@link CopyStep.Copied}; hands on {@link Checked}.
 */
@Step.Needs({SnapshotStep.Taken.class, CopyStep.Copied.class})
@Step.Makes(VerifyStep.Checked.class)
final class VerifyStep implements Step {
    /** Each table's comparison, and the large objects'. */
    record Checked(List<Verifier.TableCheck> checks) {}

    @Override
    public boolean run(Migration m, Outputs in) {
        SnapshotStep.Taken taken = in.get(SnapshotStep.Taken.class);
        Map<String, io.citusmigrate.copy.Checksum> sums;
        try {
            sums = in.get(CopyStep.Copied.class).sourceSums().join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            throw e;
        }
        var prepared = taken.prepared();
        List<Verifier.TableCheck> checks = new ArrayList<>(
                Verifier.verifyLoaded(m.plan, sums, prepared.recordHash(), () -> m.loader.verifyingConnection(prepared), m.settings.workers()));
        try (Connection source = m.snapshotReader(taken.snapshot()); Connection target = m.target()) {
            Verifier.largeObjects(source, target).ifPresent(checks::add);
        } catch (SQLException e) {
            throw m.targetFailed(e);
        }
        in.add(new Checked(List.copyOf(checks)));
        return true;
    }
}
