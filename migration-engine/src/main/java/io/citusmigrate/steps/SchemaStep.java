package io.citusmigrate.steps;

import io.citusmigrate.UserError;
import io.citusmigrate.crash.CrashPoints;
import io.citusmigrate.ddl.SchemaCreator;
import io.citusmigrate.ddl.SchemaScript;
import io.citusmigrate.ddl.Statement.Step;
import io.citusmigrate.progress.BulkLoadRecord;
import io.citusmigrate.stream.PlanFingerprint;
import io.citusmigrate.load.LoadCommand;
import io.citusmigrate.load.Option;
import io.citusmigrate.plan.TablePlan;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.EnumSet;

/**
 * The target's schema: the Citus check, the user's BEFORE LOAD blocks, what an interrupted run
 * left (when a rerun starts over), the migration's record, the tables and the distribution calls
 * in an order Citus accepts, then the AFTER CREATE SCHEMA blocks. Reads {@link ResumePoint.StartOver}
 * where a rerun starts over.
 */
final class SchemaStep implements io.citusmigrate.steps.Step {
    @Override
    public boolean run(Migration m, Outputs in) {
        boolean partialCopy = in.find(ResumePoint.StartOver.class).filter(o -> o.state() == BulkLoadRecord.State.STARTED).isPresent();
        m.onTarget(target -> create(m, target, partialCopy));
        CrashPoints.reach("bulk.after-schema");
        return true;
    }

    private static void create(Migration m, Connection target, boolean partialCopy) throws SQLException {
        MigrationSettings s = m.settings;
        Target.checkCitus(m, target);
        SchemaCreator creator = new SchemaCreator(target, m::say);
        if (!s.createTables()) requireTables(m, target);
        if (partialCopy) dropPartialCopy(m, creator);
        for (LoadCommand.SqlBlock b : s.beforeLoad()) creator.execute("BEFORE LOAD DO block at " + b.at(), b.sql());
        // from here on the plan's tables on the target are this migration's: a rerun may drop them
        if (s.streams()) BulkLoadRecord.started(target, s.slot(), PlanFingerprint.of(m.plan, s.fingerprint()));
        m.said("schema", creator.run(m.script(), EnumSet.of(Step.DROP, Step.SCHEMAS, Step.TYPES, Step.ROUTINES, Step.SEQUENCES, Step.TABLES), false));
        m.said("distribution", creator.run(m.script(), EnumSet.of(Step.DISTRIBUTE), s.rehearsal()));
        int late = creator.run(m.script(), EnumSet.of(Step.LATE_ROUTINES), false);
        if (late > 0) m.said("routines that need the tables", late);
        for (LoadCommand.SqlBlock b : s.afterCreateSchema()) creator.execute("AFTER CREATE SCHEMA DO block at " + b.at(), b.sql());
    }

    /** With `create no tables` the tables must already be there. */
    private static void requireTables(Migration m, Connection target) throws SQLException {
        try (PreparedStatement ps = target.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
            for (TablePlan t : m.plan.tables()) {
                ps.setString(1, t.target().sql());
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    if (!rs.getBoolean(1)) {
                        throw new UserError("`create no tables` is set but table " + t.target() + " does not exist on the target " + m.settings.target());
                    }
                }
            }
        }
    }

    /** What an interrupted bulk load left on the target goes before its new start. */
    private static void dropPartialCopy(Migration m, SchemaCreator creator) {
        if (m.settings.createTables()) {
            int n = creator.run(SchemaScript.of(m.plan, m.settings.command().options().with(Option.INCLUDE_DROP, true)), EnumSet.of(Step.DROP), false);
            m.said("the interrupted run's tables dropped", n);
        } else {
            Target.truncate(m, creator); // `create no tables` with `truncate`: the tables are the user's, emptied as a first run would
            m.said("the interrupted run's rows removed", (int) m.plan.tables().stream().filter(t -> !t.isPartition()).count());
        }
    }
}
