package io.citusmigrate.steps;

import io.citusmigrate.ddl.SchemaCreator;
import io.citusmigrate.ddl.Statement.Step;
import io.citusmigrate.live.AutovacuumPause;
import io.citusmigrate.live.LiveSource;
import io.citusmigrate.live.LookupIndexes;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.EnumSet;

/**
 * After the cutover's answer (the application does not wait for these): the lookup indexes, the
 * slot and the publication go, and the foreign keys are validated. A rerun after a crash here
 * does only this. Last, autovacuum comes back on where the cutover paused it.
 */
final class AfterCutoverStep implements io.citusmigrate.steps.Step {
    @Override
    public String name() {
        return "after the cutover";
    }

    @Override
    public boolean run(Migration m) throws SQLException {
        MigrationSettings s = m.settings;
        try (Connection source = m.source(); Connection target = m.target()) {
            LookupIndexes.drop(target, m.plan);
            LiveSource.drop(source, s.slot(), s.publication());
            m.say("slot " + s.slot() + " and publication " + s.publication() + " dropped");
            long t = System.nanoTime();
            int validated = SchemaCreator.runParallel(m.script(), EnumSet.of(Step.VALIDATE), s.indexBuilds(), m::target);
            m.out.printf("foreign keys validated (%d, while the application writes) in %.1f s%n", validated, Migration.secs(t));
            m.out.flush();
            int refreshed = new SchemaCreator(target, x -> { }).run(m.script(), EnumSet.of(Step.REFRESH), false);
            if (refreshed > 0) m.say(refreshed + " materialized views refreshed");
            // the cutover turned it off before stopping writes (see AutovacuumPause)
            int resumed = AutovacuumPause.resume(target, s.slot());
            if (resumed > 0) m.say(AutovacuumPause.resumedLine(resumed));
        } catch (SQLException e) {
            throw new io.citusmigrate.UserError("after the cutover: " + io.citusmigrate.db.Databases.oneLine(e, null));
        }
        return true;
    }
}
