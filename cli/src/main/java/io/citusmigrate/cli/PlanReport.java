package io.citusmigrate.cli;

import io.citusmigrate.copy.OrphanReport;
import io.citusmigrate.ddl.AccessScript;
import io.citusmigrate.ddl.SchemaScript;
import io.citusmigrate.ddl.Statement;
import io.citusmigrate.load.LoadCommand;
import io.citusmigrate.plan.Hop;
import io.citusmigrate.plan.Plan;
import io.citusmigrate.plan.PlanIssue;
import io.citusmigrate.plan.TablePlan;

import java.io.PrintWriter;
import java.util.List;

/** The plan as a user reads it, in text or JSON. Connection URLs appear without passwords. */
record PlanReport(String source, String target, boolean ok, List<TableReport> tables, List<String> views,
                  List<String> distributionCalls, List<String> routines, List<String> grants, List<String> policies,
                  List<String> rolesToCreate, List<String> missingRoles,
                  List<Orphans> orphans, List<String> warnings, List<String> errors,
                  io.citusmigrate.stream.LiveRequirements liveNeeds, List<Tenant> tenants) {

    /**
     * A tenant: a source schema and its tables. With schema-based sharding it becomes the
     * distributed schema {@code target}; consolidated, its rows get the tenant key {@code tenantKey} in {@code target}'s tables.
     */
    /** A tenant: its source schema or database ({@code kind}), where its rows go, its tenant key (none for a distributed schema). */
    record Tenant(String kind, String source, String target, Long tenantKey, List<String> tables) {}

    /** A table's orphan rows as the plan shows them (the checksum the bulk load keeps is left out). */
    record Orphans(String table, long count, List<String> firstKeys, String path,
                   @com.fasterxml.jackson.annotation.JsonIgnore String text) {}

    record TableReport(String source, String target, String kind, String distributionColumn, boolean tenantColumnAdded,
                       String colocateWith, List<String> backfillPath, String derivation, List<String> rewrites,
                       List<String> deferredTriggers, @com.fasterxml.jackson.annotation.JsonIgnore String chain) {}

    /** {@code liveNeeds}: what a live migration needs of the source, or null for a file that only loads. */
    static PlanReport of(LoadCommand cmd, Plan plan, List<OrphanReport> orphans, io.citusmigrate.stream.LiveRequirements liveNeeds) {
        List<TableReport> tables = plan.tables().stream().map(t -> new TableReport(
                t.source().name().toString(), t.target().toString(), t.kind().label(), t.distributionColumn(),
                t.tenantColumnAdded(), t.colocateWith() == null ? null : t.colocateWith().toString(),
                t.backfillPath().stream().map(Hop::toString).toList(), t.derivation(), t.rewrites(),
                t.deferredTriggers().stream().map(x -> x.definition()).toList(), chain(t))).toList();
        return new PlanReport(cmd.source().toString(), cmd.target().toString(), plan.ok(), tables,
                plan.views().stream().map(v -> v.name().toString()).toList(),
                SchemaScript.distribution(plan).stream().map(Statement::sql).toList(),
                plan.routines().stream().map(r -> r.keyword().toLowerCase() + " " + r.signature() + (r.late() ? " (after the tables)" : "")).toList(),
                AccessScript.grants(plan).stream().map(Statement::sql).toList(),
                AccessScript.rowSecurity(plan).stream().map(Statement::sql).toList(),
                plan.access().rolesToCreate().stream().map(r -> r.name()).toList(),
                plan.access().missingRoles(),
                orphans.stream().map(o -> new Orphans(o.table(), o.count(), o.firstKeys(), o.path(), o.toString())).toList(),
                plan.warnings().stream().map(PlanIssue::toString).toList(),
                plan.errors().stream().map(PlanIssue::toString).toList(), liveNeeds, tenants(plan));
    }

    private static List<Tenant> tenants(Plan plan) {
        java.util.Map<String, Tenant> out = new java.util.LinkedHashMap<>();
        if (plan.consolidation() != null) {
            var c = plan.consolidation();
            for (var tenant : c.tenants()) {
                out.put(tenant.name(), new Tenant(c.tenantKind(), tenant.name(), c.intoSchema(), tenant.key(), c.sharesOf(tenant).stream()
                        .map(t -> c.databases() ? t.source().name().toString() : t.source().name().name()).toList()));
            }
        }
        for (TablePlan t : plan.tables()) {
            if (t.kind() != TablePlan.Kind.SCHEMA || t.isPartition()) continue;
            out.computeIfAbsent(t.target().schema(), s -> new Tenant("schema", t.source().name().schema(), s, null, new java.util.ArrayList<>())).tables().add(t.target().name());
        }
        return List.copyOf(out.values());
    }

    void print(PrintWriter out) {
        out.println("Plan: " + source + " -> " + target);
        out.println();
        int w1 = Math.max(5, tables.stream().mapToInt(t -> t.target().length()).max().orElse(5));
        int w3 = Math.max(19, tables.stream().mapToInt(t -> col(t).length()).max().orElse(19));
        int w4 = Math.max(14, tables.stream().mapToInt(t -> t.colocateWith() == null ? 1 : t.colocateWith().length()).max().orElse(14));
        String fmt = "%-" + w1 + "s  %-11s  %-" + w3 + "s  %-" + w4 + "s  %s%n";
        out.printf(fmt, "TABLE", "KIND", "DISTRIBUTION COLUMN", "COLOCATED WITH", "BACK-FILL PATH");
        for (TableReport t : tables) {
            String path = !"distributed".equals(t.kind()) ? "-"
                    : t.colocateWith() == null && t.backfillPath().isEmpty() ? "(root)"
                    : t.backfillPath().isEmpty() ? (t.tenantColumnAdded() ? "(its tenant's key)" : "(carries the column)") : t.chain();
            out.printf(fmt, t.target(), t.kind(), col(t), t.colocateWith() == null ? "-" : t.colocateWith(), path);
        }
        out.println();
        out.println("Why:");
        tables.forEach(t -> out.println("  " + t.target() + ": " + t.derivation()));
        section(out, "Added or rewritten:", tables.stream().flatMap(t -> t.rewrites().stream().map(r -> t.target() + ": " + r)).toList(), "");
        section(out, "Triggers, created after the data (a live migration: at the cutover, after the last replicated change):",
                tables.stream().flatMap(t -> t.deferredTriggers().stream()).toList(), ";");
        section(out, "Tenants (each source schema a distributed schema, its tables together on one node):", tenants.stream()
                .filter(t -> t.tenantKey() == null)
                .map(t -> t.source() + " -> " + t.target() + ": " + t.tables().size() + " tables (" + String.join(", ", t.tables()) + ")").toList(), "");
        section(out, "Tenants (each source schema's rows into the tables of one schema, under its tenant key):", tenants.stream()
                .filter(t -> t.tenantKey() != null && t.kind().equals("schema"))
                .map(t -> t.source() + " -> " + t.target() + ", tenant key " + t.tenantKey() + ": " + t.tables().size() + " tables ("
                        + String.join(", ", t.tables()) + ")").toList(), "");
        section(out, "Tenants (each source database's rows into one set of tables, under its tenant key; the tenants table in the schema named):",
                tenants.stream().filter(t -> t.tenantKey() != null && t.kind().equals("database"))
                .map(t -> t.source() + " -> " + t.target() + ", tenant key " + t.tenantKey() + ": " + t.tables().size() + " tables ("
                        + String.join(", ", t.tables()) + ")").toList(), "");
        line(out, "Views: ", views);
        out.println();
        out.println("Distribution calls:");
        distributionCalls.forEach(c -> out.println("  " + c + ";"));
        line(out, "Routines: ", routines);
        section(out, "Roles, owners and privileges (after the data):", grants, ";");
        section(out, "Row-level security and policies (after the data):", policies, ";");
        line(out, "Roles missing on the target: ", missingRoles);
        section(out, "Orphan rows (no path to a tenant; `on orphan rows stop` refuses to load, `skip` writes them to reject files):",
                orphans.stream().map(Orphans::text).toList(), "");
        section(out, "Warnings:", warnings, "");
        if (liveNeeds != null) {
            section(out, "A live migration needs on the source:", liveNeeds.needs().stream()
                    .map(n -> (n.met() ? "ok       " : "MISSING  ") + n.what() + ": " + n.now()).toList(), "");
            if (!liveNeeds.met()) out.println("  `migrate` refuses to stream until these are met; `with snapshot only` needs none of them.");
        }
        out.println();
        if (errors.isEmpty()) {
            out.println("The plan can work on Citus.");
        } else {
            out.println("Errors (" + errors.size() + "): the plan cannot work on Citus.");
            errors.forEach(x -> out.println("  " + x));
        }
    }

    /** After a blank line, a heading and its lines, indented; nothing when there are none. */
    private static void section(PrintWriter out, String heading, List<String> lines, String end) {
        if (lines.isEmpty()) return;
        out.println();
        out.println(heading);
        lines.forEach(l -> out.println("  " + l + end));
    }

    /** After a blank line, the items on one line; nothing when there are none. */
    private static void line(PrintWriter out, String heading, List<String> items) {
        if (items.isEmpty()) return;
        out.println();
        out.println(heading + String.join(", ", items));
    }

    /** clicks(ad_id) -> ads(campaign_id) -> campaigns(company_id): the keys followed, then the column read. */
    private static String chain(TablePlan t) {
        if (t.backfillPath().isEmpty()) return "";
        StringBuilder b = new StringBuilder();
        for (Hop h : t.backfillPath()) b.append(h.child().name()).append('(').append(String.join(", ", h.childColumns())).append(") -> ");
        Hop last = t.backfillPath().get(t.backfillPath().size() - 1);
        return b.append(last.parent().name()).append('(').append(t.distributionColumn()).append(')').toString();
    }

    private static String col(TableReport t) {
        if (t.distributionColumn() == null) return "-";
        return t.distributionColumn() + (t.tenantColumnAdded() ? " (added)" : "");
    }
}
