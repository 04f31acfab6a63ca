package io.citusmigrate.steps;

import io.citusmigrate.verify.Verifier;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;

/** Each table's checksum on the target against the source's in the snapshot the copy read. */
final class VerifyStep implements Step {
    @Override
    public StepName name() {
        return StepName.VERIFICATION;
    }

    @Override
    public boolean run(Migration m) {
        Map<String, io.citusmigrate.copy.Checksum> sums;
        try {
            sums = m.sourceSums.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            throw e;
        }
        var prepared = m.prepared;
        List<Verifier.TableCheck> checks = new ArrayList<>(
                Verifier.verifyLoaded(m.plan, sums, prepared.recordHash(), () -> m.loader.verifyingConnection(prepared), m.settings.workers()));
        try (Connection source = m.snapshotReader(); Connection target = m.target()) {
            Verifier.largeObjects(source, target).ifPresent(checks::add);
        } catch (SQLException e) {
            throw m.targetFailed(e);
        }
        m.checks = List.copyOf(checks);
        return true;
    }
}
