package io.citusmigrate.steps;

import io.citusmigrate.UserError;
import io.citusmigrate.db.Databases;
import io.citusmigrate.load.LoadCommand;
import io.citusmigrate.plan.Plan;
import io.citusmigrate.verify.Verifier;

import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

/** `verify`'s comparison of the source as it is now with the target, and its report: for the command and for the steps that end with it. */
public final class Verification {
    private Verification() {}

    /**
     * The rows of each table, and the schema section: privileges, row-level security, routines;
     * {@code tenants} the tables of each distributed schema (a tenant of schema-based sharding), by schema.
     */
    public record Comparison(List<Verifier.TableCheck> tables, List<String> schema, java.util.Map<String, List<String>> tenants) {
        public Comparison(List<Verifier.TableCheck> tables, List<String> schema) {
            this(tables, schema, java.util.Map.of());
        }
    }

    /** The target tables of each distributed schema of the plan, by schema, in the plan's order. */
    private static java.util.Map<String, List<String>> tenants(Plan plan) {
        java.util.Map<String, List<String>> out = new java.util.LinkedHashMap<>();
        plan.tables().stream().filter(t -> t.kind() == io.citusmigrate.plan.TablePlan.Kind.SCHEMA && !t.isPartition())
                .forEach(t -> out.computeIfAbsent(t.target().schema(), k -> new java.util.ArrayList<>()).add(t.target().toString()));
        // consolidated tenant schemas: each schema's shares, under the tenant key its rows got
        var c = plan.consolidation();
        if (c != null) {
            for (var tenant : c.tenants()) {
                out.put(tenant.name() + " (" + c.tenantKey() + " " + tenant.key() + ")", c.sharesOf(tenant).stream()
                        .map(io.citusmigrate.plan.TablePlan::label).toList());
            }
        }
        return out;
    }

    /** Each table of the source, projected through the plan, against the target (one snapshot of the source); then the schema section. */
    public static Comparison compare(LoadCommand cmd, Plan plan) {
        if (!plan.tenantDatabases().isEmpty()) return compareDatabases(cmd, plan);
        try (Connection source = Databases.connect("source", cmd.source()); Connection target = Databases.target(cmd)) {
            Databases.setTimeZone(target, Databases.timeZone(source));
            source.setAutoCommit(false);
            source.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            // the rows a load with `on error resume next` left out, named in the reject files
            var o = cmd.options();
            java.nio.file.Path errors = !"resume next".equals(o.string(io.citusmigrate.load.Option.ON_ERROR)) ? null
                    : java.nio.file.Path.of(o.string(io.citusmigrate.load.Option.REJECT_DIRECTORY) == null ? "rejects" : o.string(io.citusmigrate.load.Option.REJECT_DIRECTORY));
            List<Verifier.TableCheck> checks = new java.util.ArrayList<>();
            Verifier.tenants(plan, target).ifPresent(checks::add);
            checks.addAll(Verifier.verify(plan, source, target, errors));
            Verifier.largeObjects(source, target).ifPresent(checks::add);
            List<String> schema = Verifier.schemaDifferences(plan, source, target);
            source.commit();
            return new Comparison(List.copyOf(checks), schema, tenants(plan));
        } catch (SQLException e) {
            throw new UserError("verification failed to run: " + Databases.oneLine(e, null));
        }
    }

    /**
     * Tenant databases consolidated: each database's tables against its tenant's rows (each in
     * one snapshot of its database), the tenants table against the plan, and the schema section
     * against the first database, whose objects the target's were made from.
     */
    private static Comparison compareDatabases(LoadCommand cmd, Plan plan) {
        List<Verifier.TableCheck> checks = new java.util.ArrayList<>();
        List<String> schema = List.of();
        List<String> dbs = plan.tenantDatabases();
        try (Connection target = Databases.target(cmd)) {
            Verifier.tenants(plan, target).ifPresent(checks::add);
            for (String db : dbs) {
                LoadCommand one = cmd.withSource(io.citusmigrate.catalog.TenantDatabases.url(cmd, db));
                try (Connection source = Databases.connect("source", one.source())) {
                    Databases.setTimeZone(target, Databases.timeZone(source));
                    source.setAutoCommit(false);
                    source.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
                    Plan mine = plan.forDatabase(db);
                    checks.addAll(Verifier.verify(mine, source, target, null));
                    if (db.equals(dbs.get(0))) schema = Verifier.schemaDifferences(mine, source, target);
                    source.commit();
                }
            }
            return new Comparison(List.copyOf(checks), schema, tenants(plan));
        } catch (SQLException e) {
            throw new UserError("verification failed to run: " + Databases.oneLine(e, null));
        }
    }

    /** Each tenant of schema-based sharding (a distributed schema): its tables, rows on each side, and whether all are equal. */
    private static void tenants(PrintWriter out, Comparison comparison) {
        if (comparison.tenants().isEmpty()) return;
        java.util.Map<String, Verifier.TableCheck> byTable = new java.util.HashMap<>();
        comparison.tables().forEach(c -> byTable.put(c.table(), c));
        int w = Math.max(6, comparison.tenants().keySet().stream().mapToInt(String::length).max().orElse(6));
        String fmt = "%-" + w + "s  %6s  %12s  %12s  %s%n";
        out.println();
        out.printf(fmt, "TENANT", "TABLES", "SOURCE ROWS", "TARGET ROWS", "RESULT");
        comparison.tenants().forEach((schema, tables) -> {
            List<Verifier.TableCheck> mine = tables.stream().map(byTable::get).filter(java.util.Objects::nonNull).toList();
            List<String> differ = mine.stream().filter(c -> !c.ok()).map(Verifier.TableCheck::table).toList();
            out.printf(fmt, schema, tables.size(), mine.stream().mapToLong(Verifier.TableCheck::sourceRows).sum(),
                    mine.stream().mapToLong(Verifier.TableCheck::targetRows).sum(), differ.isEmpty() ? "ok" : "DIFFERS: " + String.join(", ", differ));
        });
    }

    /** Prints the comparison, every difference on stderr too; false when a table or the schema differs. */
    public static boolean report(PrintWriter out, PrintWriter err, Comparison comparison) {
        List<Verifier.TableCheck> checks = comparison.tables();
        int w = Math.max(5, checks.stream().mapToInt(c -> c.table().length()).max().orElse(5));
        String fmt = "%-" + w + "s  %12s  %12s  %s%n";
        out.printf(fmt, "TABLE", "SOURCE ROWS", "TARGET ROWS", "RESULT");
        for (Verifier.TableCheck c : checks) {
            out.printf(fmt, c.table(), c.sourceRows(), c.targetRows(), c.ok() ? "ok" : "DIFFERS: " + c.problem() + (c.sampleKey() == null ? "" : ", e.g. key " + c.sampleKey()));
        }
        out.flush();
        List<Verifier.TableCheck> bad = checks.stream().filter(c -> !c.ok()).toList();
        bad.forEach(c -> err.println("verification failed: " + c.table() + ": " + c.problem() + (c.sampleKey() == null ? "" : ", e.g. key " + c.sampleKey())));
        tenants(out, comparison);
        out.println();
        out.println("SCHEMA (privileges, row-level security, triggers, routines): " + (comparison.schema().isEmpty() ? "ok" : comparison.schema().size() + " differences"));
        comparison.schema().forEach(d -> out.println("  " + d));
        out.flush();
        comparison.schema().forEach(d -> err.println("verification failed: schema: " + d));
        err.flush();
        return bad.isEmpty() && comparison.schema().isEmpty();
    }
}
