package io.citusmigrate.cutover;

import io.citusmigrate.catalog.Column;
import io.citusmigrate.catalog.Index;
import io.citusmigrate.stream.ConnectorConfigs;
import io.citusmigrate.plan.Plan;
import io.citusmigrate.plan.TablePlan;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What the source's schema has that the target lacks, or the other way round: tables, columns
 * and indexes, by the plan made from the source as it is now. A Connect deployment carries no
 * schema change (Debezium emits none, and the sink has no planner), so its cutover looks for
 * them, with writes stopped, before it says the target can take the application.
 */
public final class SchemaDrift {
    private SchemaDrift() {}

    private static final String COLUMNS = "SELECT a.attname FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid"
            + " JOIN pg_catalog.pg_namespace s ON s.oid = c.relnamespace WHERE s.nspname = ? AND c.relname = ? AND a.attnum > 0 AND NOT a.attisdropped";
    // the plan's own: not those behind a key (constraints), nor the stream's lookup indexes (gone at the cutover)
    private static final String INDEXES = "SELECT i.relname FROM pg_catalog.pg_index x JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid"
            + " JOIN pg_catalog.pg_class c ON c.oid = x.indrelid JOIN pg_catalog.pg_namespace s ON s.oid = c.relnamespace"
            + " WHERE s.nspname = ? AND c.relname = ? AND i.relname NOT LIKE 'citus\\_migrate\\_%'"
            + " AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k WHERE k.conindid = x.indexrelid)";

    /** One line per difference; empty when the target has the plan's tables, columns and indexes and no others. */
    public static List<String> of(Plan plan, boolean indexes, Connection target) throws SQLException {
        List<String> out = new ArrayList<>();
        for (TablePlan t : ConnectorConfigs.streamed(plan)) {
            Set<String> columns = names(target, COLUMNS, t);
            if (columns.isEmpty()) {
                out.add("table " + t.target() + " is not on the target");
                continue;
            }
            Set<String> planned = new LinkedHashSet<>();
            if (t.tenantColumnAdded()) planned.add(t.distributionColumn());
            for (Column c : t.columns()) planned.add(c.name());
            differences(out, planned, columns, c -> "column " + t.target() + "." + c);
            if (!indexes) continue;
            Set<String> plannedIndexes = new LinkedHashSet<>();
            for (Index ix : t.indexes()) plannedIndexes.add(ix.name());
            differences(out, plannedIndexes, names(target, INDEXES, t), i -> "index " + i + " on " + t.target());
        }
        return out;
    }

    private static void differences(List<String> out, Set<String> source, Set<String> target, java.util.function.Function<String, String> what) {
        for (String x : source) if (!target.contains(x)) out.add(what.apply(x) + " is on the source, not on the target");
        for (String x : target) if (!source.contains(x)) out.add(what.apply(x) + " is on the target, not on the source");
    }

    private static Set<String> names(Connection target, String query, TablePlan t) throws SQLException {
        return new LinkedHashSet<>(io.citusmigrate.db.Databases.column(target, query, t.target().schema(), t.target().name()));
    }
}
