package io.citusmigrate.steps;

import io.citusmigrate.copy.SequenceReset;

/** Sequences set to the source's values (`reset sequences`), so that new rows on the target take new keys. */
final class SequencesStep implements Step {
    @Override
    public boolean run(Migration m, Outputs in) {
        if (!m.settings.resetSequences()) return true;
        if (!m.plan.tenantDatabases().isEmpty()) {
            // tenant databases: each target sequence past the furthest of every database's
            java.util.List<java.util.List<SequenceReset.Reset>> each = new java.util.ArrayList<>();
            for (String db : m.plan.tenantDatabases()) {
                Migration sub = m.forDatabase(db);
                sub.onBoth((source, target) -> each.add(SequenceReset.read(sub.catalog, sub.plan, source, target)));
            }
            var furthest = SequenceReset.furthest(each);
            m.onTarget(target -> SequenceReset.apply(target, furthest));
            m.said("sequences set past every tenant database's values", furthest.size());
            return true;
        }
        m.onBoth((source, target) -> m.said("sequences set to the source's values", SequenceReset.run(m.catalog, m.plan, source, target).size()));
        return true;
    }
}
