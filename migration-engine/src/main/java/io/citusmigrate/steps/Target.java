package io.citusmigrate.steps;

import io.citusmigrate.UserError;
import io.citusmigrate.db.Databases;
import io.citusmigrate.ddl.SchemaCreator;
import io.citusmigrate.plan.TablePlan;

import java.sql.Connection;
import java.sql.SQLException;

/** What more than one step does on the target: its Citus checked and said, the plan's tables emptied. */
final class Target {
    private Target() {}

    /** The target has Citus, or the run rehearses on plain PostgreSQL; either is said. */
    static void checkCitus(Migration m, Connection target) throws SQLException {
        var version = Databases.citusVersion(target);
        if (version.isEmpty() && !m.settings.rehearsal()) {
            throw new UserError("the target database " + m.settings.target() + " has no citus extension: run CREATE EXTENSION citus there,"
                    + " or pass --rehearsal to create the rewritten schema on plain PostgreSQL");
        }
        if (version.isPresent()) m.say("target " + m.settings.target() + ": Citus " + version.get() + (m.settings.rehearsal() ? " (rehearsal)" : ""));
        else m.say("target " + m.settings.target() + ": plain PostgreSQL (rehearsal: distribution calls are printed, not run)");
    }

    /** The plan's tables emptied (partitions with their parents). */
    static void truncate(Migration m, SchemaCreator creator) {
        for (TablePlan t : m.plan.tables()) {
            if (!t.isPartition()) creator.execute("truncate of " + t.target(), "TRUNCATE " + t.target().sql() + " CASCADE");
        }
    }
}
