package io.citusmigrate.steps;

import io.citusmigrate.crash.CrashPoints;
import io.citusmigrate.ddl.SchemaCreator;
import io.citusmigrate.ddl.Statement;
import io.citusmigrate.ddl.Statement.Step;
import io.citusmigrate.stream.LookupIndexes;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.EnumSet;
import java.util.List;

/**
 * Keys and indexes, built after the data and in parallel; foreign keys too, except for a stream,
 * which adds them at its cutover (a batch may hold a child's change before its parent's) and
 * meanwhile has indexes for its lookups; then comments and views; then owners, privileges,
 * row-level security and policies.
 */
final class KeysStep implements io.citusmigrate.steps.Step {
    @Override
    public boolean run(Migration m, Outputs in) {
        m.onTarget(target -> keys(m, target));
        CrashPoints.reach("bulk.after-keys");
        return true;
    }

    private static void keys(Migration m, Connection target) throws SQLException {
        MigrationSettings s = m.settings;
        // the biggest tables' first: begun last, a big table's key would be built alone at the end
        java.util.function.ToLongFunction<Statement> size = SchemaCreator.byRows(m.plan);
        int keys = SchemaCreator.runParallel(m.script(), EnumSet.of(Step.KEYS), s.indexBuilds(), m::target, size);
        int indexes = SchemaCreator.runParallel(m.script(), EnumSet.of(Step.INDEXES), s.indexBuilds(), m::target, size);
        int fks = 0;
        if (!s.streams()) {
            fks = new SchemaCreator(target, m::say).run(m.script(), EnumSet.of(Step.FOREIGN_KEYS), false);
            fks += SchemaCreator.runParallel(m.script(), EnumSet.of(Step.VALIDATE), s.indexBuilds(), m::target, size);
        }
        m.said("keys, indexes and foreign keys", keys + indexes + fks);
        if (s.streams() && !s.lookupIndexesAtStreamStart()) {
            m.said("lookup indexes for streaming (dropped at the cutover)", LookupIndexes.create(target, m.plan));
        }
        m.said("comments and views", new SchemaCreator(target, m::say).run(m.script(), EnumSet.of(Step.POST_DATA), false));
        // last: the bulk load and the keys are not subject to owners, privileges or row-level security;
        // a rerun keeps the policies and roles it made already
        m.said("roles, owners, privileges, row-level security and policies",
                new SchemaCreator(target, m::say).runKeepingExisting(m.script(), EnumSet.of(Step.ACCESS)));
        // after the data; a stream's at the cutover, as they would fire again on replicated rows
        if (!s.streams()) m.said("triggers", new SchemaCreator(target, m::say).runKeepingExisting(m.script(), EnumSet.of(Step.TRIGGERS)));
        // a live migration's now: the cutover then answers with statistics in place
        m.said("tables analyzed", SchemaCreator.runParallel(toAnalyze(m, target), EnumSet.of(Step.ANALYZE), s.indexBuilds(), m::target, size));
    }

    /**
     * A bulk load leaves its big tables' statistics to the target's autovacuum where it will make
     * them (within its naptime of the exit, as after any load): analyzing every shard now costs
     * about as much as building the keys (Citus samples up to 30,000 rows in each shard). Small
     * tables are analyzed now (see {@link AutoAnalyze#analyzedNow}).
     */
    private static List<Statement> toAnalyze(Migration m, Connection target) throws SQLException {
        List<Statement> all = m.script().stream().filter(st -> st.step() == Step.ANALYZE).toList();
        if (m.settings.streams() || all.isEmpty()) return all;
        boolean citus = AutoAnalyze.citus(target);
        if (!AutoAnalyze.onEveryNode(target, citus)) return all;
        java.util.Set<String> now = AutoAnalyze.analyzedNow(target, citus, all.stream().map(KeysStep::table).toList());
        List<Statement> out = all.stream().filter(st -> now.contains(table(st))).toList();
        if (out.size() < all.size()) {
            int left = all.size() - out.size();
            m.say("statistics of " + left + (left == 1 ? " table" : " tables") + " left to autovacuum, on on every node: it analyzes the loaded"
                    + " shards within its naptime, as after any load");
        }
        return out;
    }

    private static String table(Statement analyze) {
        return analyze.sql().substring("ANALYZE ".length());
    }
}
