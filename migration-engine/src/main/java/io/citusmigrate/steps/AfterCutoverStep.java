package io.citusmigrate.steps;

import io.citusmigrate.cutover.Finish;
import io.citusmigrate.live.AutovacuumPause;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * After the cutover's answer (the application does not wait for these): the lookup indexes, the
 * slot and the publication go, and the foreign keys are validated. A rerun after a crash here
 * does only this. Last, autovacuum comes back on where the cutover paused it.
 */
final class AfterCutoverStep implements io.citusmigrate.steps.Step {
    @Override
    public StepName name() {
        return StepName.AFTER_CUTOVER;
    }

    @Override
    public boolean run(Migration m) throws SQLException {
        MigrationSettings s = m.settings;
        try (Connection source = m.source(); Connection target = m.target()) {
            Finish.afterAnswer(m.plan, m.script(), s.slot(), s.publication(), s.indexBuilds(), source, target, m::target, "", m::say);
            // the cutover turned it off before stopping writes (see AutovacuumPause)
            int resumed = AutovacuumPause.resume(target, s.slot());
            if (resumed > 0) m.say(AutovacuumPause.resumedLine(resumed));
        } catch (SQLException e) {
            throw new io.citusmigrate.UserError("after the cutover: " + io.citusmigrate.db.Databases.oneLine(e, null));
        }
        return true;
    }
}
