package io.citusmigrate.steps;

import io.citusmigrate.ddl.SchemaCreator;
import io.citusmigrate.load.LoadCommand;

/** The user's AFTER LOAD DO blocks. */
final class AfterLoadStep implements Step {
    @Override
    public boolean run(Migration m, Outputs in) {
        if (m.settings.afterLoad().isEmpty()) return true;
        m.onTarget(target -> {
            SchemaCreator creator = new SchemaCreator(target, m::say);
            for (LoadCommand.SqlBlock b : m.settings.afterLoad()) creator.execute("AFTER LOAD DO block at " + b.at(), b.sql());
        });
        return true;
    }
}
