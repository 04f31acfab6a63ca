package io.citusmigrate.steps;

import io.citusmigrate.copy.SequenceReset;

/** Sequences set to the source's values (`reset sequences`), so that new rows on the target take new keys. */
final class SequencesStep implements Step {
    @Override
    public boolean run(Migration m, Outputs in) {
        if (!m.settings.resetSequences()) return true;
        m.onBoth((source, target) -> m.said("sequences set to the source's values", SequenceReset.run(m.catalog, m.plan, source, target).size()));
        return true;
    }
}
