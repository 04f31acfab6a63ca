package io.citusmigrate.steps;

import io.citusmigrate.ddl.SchemaCreator;
import io.citusmigrate.load.LoadCommand;

import java.sql.Connection;
import java.sql.SQLException;

/** The user's AFTER LOAD DO blocks. */
final class AfterLoadStep implements Step {
    @Override
    public StepName name() {
        return StepName.AFTER_LOAD;
    }

    @Override
    public boolean run(Migration m) throws SQLException {
        if (m.settings.afterLoad().isEmpty()) return true;
        try (Connection target = m.target()) {
            SchemaCreator creator = new SchemaCreator(target, m::say);
            for (LoadCommand.SqlBlock b : m.settings.afterLoad()) creator.execute("AFTER LOAD DO block at " + b.at(), b.sql());
        } catch (SQLException e) {
            throw m.targetFailed(e);
        }
        return true;
    }
}
