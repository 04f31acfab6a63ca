package io.citusmigrate.live;

import io.citusmigrate.sql.Sql;
import io.citusmigrate.plan.Plan;
import io.citusmigrate.sink.TableRule;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * While changes stream: an index on the source key of each distributed table whose key lacks
 * the distribution column. An update or delete names its row by that key alone, so the sink asks
 * every shard where the row lives now; with this index each shard answers with an index probe
 * instead of a scan. Created before streaming, dropped at the cutover (the application's own
 * indexes are the plan's).
 */
public final class LookupIndexes {
    private LookupIndexes() {}

    /** {create, drop} statements, one pair per table that needs one. */
    static List<String[]> statements(Plan plan) {
        List<String[]> out = new ArrayList<>();
        for (TableRule r : TableRules.from(plan)) {
            if (r.distributionColumn() == null || r.key().isEmpty() || r.key().contains(r.distributionColumn())) continue;
            String name = "citus_migrate_key_" + r.targetTable();
            if (name.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 63) {
                name = "citus_migrate_key_" + Integer.toHexString(r.targetTable().hashCode());
            }
            out.add(new String[] {"CREATE INDEX IF NOT EXISTS " + Sql.ident(name) + " ON " + r.target() + " (" + Sql.idents(r.key()) + ")",
                    "DROP INDEX IF EXISTS " + Sql.ident(r.targetSchema()) + "." + Sql.ident(name)});
        }
        return out;
    }

    public static int create(Connection target, Plan plan) throws SQLException {
        return run(target, plan, 0);
    }

    public static int drop(Connection target, Plan plan) throws SQLException {
        return run(target, plan, 1);
    }

    private static int run(Connection target, Plan plan, int which) throws SQLException {
        List<String[]> all = statements(plan);
        try (Statement s = target.createStatement()) {
            for (String[] st : all) s.execute(st[which]);
        }
        return all.size();
    }
}
