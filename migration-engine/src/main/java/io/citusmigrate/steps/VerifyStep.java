package io.citusmigrate.steps;

import io.citusmigrate.verify.Verifier;

import java.util.Map;
import java.util.concurrent.CompletionException;

/** Each table's checksum on the target against the source's in the snapshot the copy read. */
final class VerifyStep implements Step {
    @Override
    public String name() {
        return "verification";
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
        m.checks = Verifier.verifyLoaded(m.plan, sums, prepared.recordHash(), () -> m.loader.verifyingConnection(prepared), m.settings.workers());
        return true;
    }
}
