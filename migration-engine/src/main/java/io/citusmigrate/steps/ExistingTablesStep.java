package io.citusmigrate.steps;

import io.citusmigrate.UserError;
import io.citusmigrate.catalog.Column;
import io.citusmigrate.db.Databases;
import io.citusmigrate.ddl.SchemaCreator;
import io.citusmigrate.ddl.Statement;
import io.citusmigrate.load.LoadCommand;
import io.citusmigrate.plan.TablePlan;
import io.citusmigrate.sql.Sql;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;

/**
 * `data only`: the target's tables are the user's. Before anything is written they are checked
 * against the plan (each exists, with the planned columns and types, the added tenant key
 * included, and is distributed or a reference table as planned); then the BEFORE LOAD blocks,
 * and with `drop indexes` the indexes no constraint needs are dropped, to be created again by
 * {@link Indexes} after the rows. Nothing else is dropped or created. Hands on {@link Dropped}.
 */
@Step.Makes(ExistingTablesStep.Dropped.class)
final class ExistingTablesStep implements Step {
    /** The indexes dropped before the rows (`drop indexes`), to be created again after them. */
    record Dropped(List<Statement> indexes) {}

    @Override
    public boolean run(Migration m, Outputs in) {
        in.add(new Dropped(m.fromTarget(target -> check(m, target))));
        return true;
    }

    /** The check, the BEFORE LOAD blocks, the indexes dropped; returns those. */
    private static List<Statement> check(Migration m, Connection target) throws SQLException {
        MigrationSettings s = m.settings;
        Target.checkCitus(m, target);
        boolean citus = Databases.citusVersion(target).isPresent();
        List<String> differences = new ArrayList<>();
        for (TablePlan t : m.plan.tables()) differences.addAll(differences(t, target, citus));
        if (!differences.isEmpty()) {
            throw new UserError("`data only`: the target's tables differ from the plan, nothing was written: "
                    + String.join("; ", differences));
        }
        m.said("tables checked against the plan (data only: nothing dropped or created)", m.plan.tables().size());
        SchemaCreator creator = new SchemaCreator(target, m::say);
        for (LoadCommand.SqlBlock b : s.beforeLoad()) creator.execute("BEFORE LOAD DO block at " + b.at(), b.sql());
        if (s.dropIndexes()) {
            List<Statement> indexes = new ArrayList<>();
            for (TablePlan t : m.plan.tables()) indexes.addAll(droppable(t, target));
            // said before they go: a run that dies before the rows are in leaves their definitions on the console
            for (Statement ix : indexes) {
                m.say("  dropping " + ix.what() + " (created again after the data): " + ix.sql());
                creator.execute("drop of " + ix.what(), "DROP INDEX " + ix.what());
            }
            return List.copyOf(indexes);
        }
        return List.of();
    }

    /** How one table on the target differs from the plan, one phrase each; empty when alike. */
    static List<String> differences(TablePlan t, Connection target, boolean citus) throws SQLException {
        List<String> out = new ArrayList<>();
        String name = t.target().sql();
        try (PreparedStatement ps = target.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                if (!rs.getBoolean(1)) return List.of(t.target() + " does not exist on the target");
            }
        }
        List<String> names = t.columns().stream().map(Column::name).toList();
        List<String> types = t.columns().stream().map(c -> c.type().sql()).toList();
        // to_regtype resolves the plan's type as the target names it (aliases, typmods, domains); an unknown one is named as such
        String sql = """
                WITH p AS (SELECT * FROM unnest(?::text[], ?::text[]) AS p(name, type)),
                     a AS (SELECT attname::text AS name, atttypid FROM pg_attribute
                           WHERE attrelid = CAST(? AS regclass) AND attnum > 0 AND NOT attisdropped)
                SELECT coalesce(p.name, a.name), p.name IS NULL, a.name IS NULL, p.type, format_type(a.atttypid, NULL)
                FROM p FULL JOIN a ON a.name = p.name
                WHERE p.name IS NULL OR a.name IS NULL OR to_regtype(p.type) IS NULL OR to_regtype(p.type)::oid <> a.atttypid
                ORDER BY 1""";
        try (PreparedStatement ps = target.prepareStatement(sql)) {
            ps.setArray(1, target.createArrayOf("text", names.toArray()));
            ps.setArray(2, target.createArrayOf("text", types.toArray()));
            ps.setString(3, name);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String col = Sql.ident(rs.getString(1));
                    String tenant = t.tenantColumnAdded() && col.equals(Sql.ident(t.distributionColumn())) ? " (the tenant key the plan adds)" : "";
                    if (rs.getBoolean(2)) out.add(t.target() + " has column " + col + ", which the plan does not");
                    else if (rs.getBoolean(3)) out.add(t.target() + " lacks column " + col + tenant);
                    else out.add(t.target() + "." + col + " is " + rs.getString(5) + ", the plan's is " + rs.getString(4));
                }
            }
        }
        if (citus && !t.isPartition()) {
            String want = switch (t.kind()) {
                case DISTRIBUTED -> "distributed by " + Sql.ident(t.distributionColumn());
                case REFERENCE -> "a reference table";
                case LOCAL -> "not distributed";
                case SCHEMA -> "in a distributed schema";
            };
            String is = "not distributed";
            try (PreparedStatement ps = target.prepareStatement("SELECT partmethod::text, CASE WHEN partmethod = 'h' THEN"
                    + " column_to_column_name(logicalrelid, partkey) END, repmodel::text, EXISTS (SELECT 1 FROM pg_dist_schema s JOIN pg_class c"
                    + " ON c.relnamespace = s.schemaid WHERE c.oid = logicalrelid) FROM pg_dist_partition WHERE logicalrelid = CAST(? AS regclass)")) {
                ps.setString(1, name);
                try (ResultSet rs = ps.executeQuery()) {
                    // a Citus local table (no distribution column, not on every worker) is as good as a local one here
                    if (rs.next()) is = "h".equals(rs.getString(1)) ? "distributed by " + Sql.ident(rs.getString(2))
                            : "t".equals(rs.getString(3)) ? "a reference table" : rs.getBoolean(4) ? "in a distributed schema" : "not distributed";
                }
            }
            if (!is.equals(want)) out.add(t.target() + " is " + is + " on the target, the plan's is " + want);
        }
        return out;
    }

    /**
     * The table's indexes that no constraint needs (not a key's, not one a foreign key points
     * at, not a partition's index attached to its parent's), with their definitions.
     */
    private static List<Statement> droppable(TablePlan t, Connection target) throws SQLException {
        List<Statement> out = new ArrayList<>();
        try (PreparedStatement ps = target.prepareStatement("""
                SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname), pg_get_indexdef(i.indexrelid)
                FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE i.indrelid = CAST(? AS regclass)
                  AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
                  AND NOT EXISTS (SELECT 1 FROM pg_inherits h WHERE h.inhrelid = i.indexrelid)
                ORDER BY 1""")) {
            ps.setString(1, t.target().sql());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) out.add(new Statement(Statement.Step.INDEXES, rs.getString(1), rs.getString(2)));
            }
        }
        return out;
    }

    /**
     * After the rows: the dropped indexes created again (`drop indexes`), every index rebuilt
     * (`reindex`), the tables analyzed. Needs {@link Dropped}.
     */
    @Step.Needs(Dropped.class)
    static final class Indexes implements Step {
        @Override
        public boolean run(Migration m, Outputs in) {
            MigrationSettings s = m.settings;
            List<Statement> dropped = in.get(Dropped.class).indexes();
            if (!dropped.isEmpty()) {
                m.said("indexes created again", SchemaCreator.runParallel(dropped, EnumSet.of(Statement.Step.INDEXES), s.indexBuilds(), m::target));
            }
            List<Statement> after = new ArrayList<>();
            for (TablePlan t : m.plan.tables()) {
                if (t.isPartition()) continue;
                if (s.reindex()) after.add(new Statement(Statement.Step.INDEXES, "reindex of " + t.target(), "REINDEX TABLE " + t.target().sql()));
                after.add(new Statement(Statement.Step.ANALYZE, "analyze " + t.target(), "ANALYZE " + t.target().sql()));
            }
            if (s.reindex()) m.said("tables reindexed", SchemaCreator.runParallel(after, EnumSet.of(Statement.Step.INDEXES), s.indexBuilds(), m::target));
            m.said("tables analyzed", SchemaCreator.runParallel(after, EnumSet.of(Statement.Step.ANALYZE), s.indexBuilds(), m::target));
            return true;
        }
    }
}
