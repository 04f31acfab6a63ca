package io.citusmigrate.steps;

import io.citusmigrate.cutover.Finish;
import io.citusmigrate.stream.AutovacuumPause;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

/**
 * After the cutover's answer (the application does not wait for these): the lookup indexes, the
 * slot and the publication go, and the foreign keys are validated. A rerun after a crash here
 * does only this. Last, autovacuum comes back on where the cutover paused it. Reads the plan as
 * the stream left it ({@link StreamStep.Streamed}) where this run streamed.
 */
final class AfterCutoverStep implements io.citusmigrate.steps.Step {
    @Override
    public boolean run(Migration m, Outputs in) throws SQLException {
        MigrationSettings s = m.settings;
        var plan = in.find(StreamStep.Streamed.class).map(StreamStep.Streamed::plan).orElse(m.plan);
        if (s.tenantDatabases()) {
            try (Connection target = m.target()) {
                Finish.afterAnswer(plan, m.script(plan), () -> {
                    List<String> dropped = new java.util.ArrayList<>();
                    for (String db : plan.tenantDatabases()) { // the stream's: a database taken in while streaming included
                        Migration one = m.forDatabase(db);
                        try (Connection source = one.source()) {
                            io.citusmigrate.stream.LiveSource.drop(source, one.settings.slot(), one.settings.publication());
                        }
                        dropped.add(one.settings.slot());
                    }
                    return "slots " + String.join(", ", dropped) + " and their publications " + s.publication() + " dropped";
                }, s.indexBuilds(), target, m::target, m::say);
                int resumed = AutovacuumPause.resume(target, s.slot());
                if (resumed > 0) m.say(AutovacuumPause.resumedLine(resumed));
            } catch (SQLException e) {
                throw new io.citusmigrate.UserError("after the cutover: " + io.citusmigrate.db.Databases.oneLine(e, null));
            }
            return true;
        }
        try (Connection source = m.source(); Connection target = m.target()) {
            Finish.afterAnswer(plan, m.script(plan), s.slot(), s.publication(), s.indexBuilds(), source, target, m::target, "", m::say);
            // the cutover turned it off before stopping writes (see AutovacuumPause)
            int resumed = AutovacuumPause.resume(target, s.slot());
            if (resumed > 0) m.say(AutovacuumPause.resumedLine(resumed));
        } catch (SQLException e) {
            throw new io.citusmigrate.UserError("after the cutover: " + io.citusmigrate.db.Databases.oneLine(e, null));
        }
        return true;
    }
}
