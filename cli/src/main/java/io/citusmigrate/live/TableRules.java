package io.citusmigrate.live;

import io.citusmigrate.sink.TableRule;

import io.citusmigrate.plan.Hop;
import io.citusmigrate.plan.Plan;
import io.citusmigrate.plan.TablePlan;

import java.util.ArrayList;
import java.util.List;

/** The sink's table rules, from a plan (parents first, as the plan orders tables): built here, so the sink needs no planner. */
public final class TableRules {
    private TableRules() {}

    public static List<TableRule> from(Plan plan) {
        List<TableRule> out = new ArrayList<>();
        for (TablePlan t : plan.tables()) {
            if (t.isPartition()) continue;
            TableRule.Hop parent = null;
            List<TableRule.Hop> path = new ArrayList<>();
            for (Hop h : t.backfillPath()) {
                path.add(new TableRule.Hop(h.child().toString(), h.childColumns(), h.parent().schema(), h.parent().name(), h.parentColumns()));
            }
            if (t.tenantColumnAdded() && !t.backfillPath().isEmpty()) {
                Hop h = t.backfillPath().get(0);
                TablePlan p = plan.table(h.parent()).orElseThrow();
                parent = new TableRule.Hop(t.target().toString(), h.childColumns(), p.target().schema(), p.target().name(), h.parentColumns());
            }
            boolean children = plan.tables().stream().anyMatch(c -> !c.backfillPath().isEmpty()
                    && c.backfillPath().get(0).parent().equals(t.source().name()));
            List<String> key = t.source().primaryKey().map(pk -> pk.columns()).orElse(List.of());
            out.add(new TableRule(t.source().name().schema() + "." + t.source().name().name(), t.target().schema(), t.target().name(),
                    t.distributionColumn(), t.tenantColumnAdded(), key, parent, path, children));
        }
        return out;
    }
}
