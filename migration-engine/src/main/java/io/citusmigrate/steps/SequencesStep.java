package io.citusmigrate.steps;

import io.citusmigrate.copy.SequenceReset;

import java.sql.Connection;
import java.sql.SQLException;

/** Sequences set to the source's values (`reset sequences`), so that new rows on the target take new keys. */
final class SequencesStep implements Step {
    @Override
    public StepName name() {
        return StepName.SEQUENCES;
    }

    @Override
    public boolean run(Migration m) throws SQLException {
        if (!m.settings.resetSequences()) return true;
        try (Connection source = m.source(); Connection target = m.target()) {
            m.said("sequences set to the source's values", SequenceReset.run(m.catalog, m.plan, source, target).size());
        } catch (SQLException e) {
            throw m.targetFailed(e);
        }
        return true;
    }
}
