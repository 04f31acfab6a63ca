package io.citusmigrate.plan;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.util.ArrayList;
import java.util.List;

/**
 * How the sink writes each table of a plan, parents first: the JSON of the sink's
 * {@code citus.tables} setting. The plan makes it and the sink reads it (its TableRule has these
 * fields), so the sink needs no planner and the planner no sink.
 */
public final class StreamRules {
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * One table: {@code distributionColumn} null for reference and local tables; {@code parent} the
     * one hop on the target that gives an added tenant key; {@code sourcePath} the hops on the
     * source; {@code key} the source primary key (empty without one); {@code tenantValue} the tenant
     * key of every row of a tenant schema's share of a consolidated table, else null.
     */
    public record Rule(String source, String targetSchema, String targetTable, String distributionColumn, boolean tenantAdded,
                       List<String> key, StreamHop parent, List<StreamHop> sourcePath, boolean hasChildren, String tenantValue) {}

    /** A foreign-key hop: rows of {@code child} find their parent where columns = parentColumns. */
    public record StreamHop(String child, List<String> columns, String parentSchema, String parentTable, List<String> parentColumns) {}

    private StreamRules() {}

    public static List<Rule> from(Plan plan) {
        List<Rule> out = new ArrayList<>();
        for (TablePlan t : plan.sourceTables()) {
            if (t.isPartition()) continue;
            StreamHop parent = null;
            List<StreamHop> path = new ArrayList<>();
            for (Hop h : t.backfillPath()) {
                path.add(new StreamHop(h.child().toString(), h.childColumns(), h.parent().schema(), h.parent().name(), h.parentColumns()));
            }
            if (t.tenantColumnAdded() && !t.backfillPath().isEmpty()) {
                Hop h = t.backfillPath().get(0);
                TablePlan p = plan.table(h.parent()).orElseThrow();
                parent = new StreamHop(t.target().toString(), h.childColumns(), p.target().schema(), p.target().name(), h.parentColumns());
            }
            boolean children = plan.tables().stream().anyMatch(c -> !c.backfillPath().isEmpty()
                    && c.backfillPath().get(0).parent().equals(t.source().name()));
            List<String> key = t.source().primaryKey().map(pk -> pk.columns()).orElse(List.of());
            out.add(new Rule(t.source().name().schema() + "." + t.source().name().name(), t.target().schema(), t.target().name(),
                    t.distributionColumn(), t.tenantColumnAdded(), key, parent, path, children, t.tenantValue()));
        }
        return out;
    }

    /** The rules as the sink's {@code citus.tables} setting. */
    public static String json(Plan plan) {
        try {
            return JSON.writeValueAsString(from(plan));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
