package io.citusmigrate.steps;

import io.citusmigrate.copy.Checksum;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * A step that reads the source, run once for each tenant database of a consolidation of
 * databases: each run sees its database as the source, with its own catalog and the plan of its
 * tenant alone ({@link Migration#forDatabase}), and hands on into that database's outputs; what
 * the steps after it read from the whole run (the rows copied, the tables compared) is handed on
 * merged. Its snapshots stay open until the run ends, like a single source's.
 */
final class EachDatabase implements Step {
    private final Step inner;

    EachDatabase(Step inner) {
        this.inner = inner;
    }

    @Override
    public Set<Class<?>> needs(MigrationSettings s) {
        return inner.needs(s);
    }

    @Override
    public Set<Class<?>> makes() {
        return inner.makes();
    }

    @Override
    public boolean run(Migration m, Outputs in) throws SQLException, InterruptedException {
        String tenantsTable = m.plan.consolidation().tenantsTable().toString();
        // a new run: its steps, cutover and bulk load are recorded under the migration's own slot, which no database's run forgets
        if (inner instanceof PublicationStep) m.onTarget(target -> PublicationStep.forgetEarlier(target, m.settings.slot()));
        for (String db : m.plan.tenantDatabases()) {
            if (!inner.run(m.forDatabase(db), in.forDatabase(db))) return false;
        }
        merge(in, tenantsTable);
        return true;
    }

    /** The outputs the steps after it read from the run: every database's, as one. */
    private void merge(Outputs in, String tenantsTable) {
        List<Outputs> each = List.copyOf(in.databases());
        if (makes().contains(CopyStep.Copied.class)) {
            List<io.citusmigrate.copy.TableResult> results = new ArrayList<>();
            List<CompletableFuture<Map<String, Checksum>>> sums = new ArrayList<>();
            io.citusmigrate.copy.TableResult tenants = null; // each database's run wrote its tenant's row: one line for them
            for (Outputs o : each) {
                CopyStep.Copied c = o.get(CopyStep.Copied.class);
                for (var r : c.results()) {
                    if (!r.table().equals(tenantsTable)) results.add(r);
                    else tenants = tenants == null ? r : new io.citusmigrate.copy.TableResult(r.table(), tenants.read() + r.read(),
                            tenants.written() + r.written(), 0, 0, tenants.seconds() + r.seconds());
                }
                sums.add(c.sourceSums());
            }
            if (tenants != null) results.add(0, tenants);
            in.add(new CopyStep.Copied(List.copyOf(results), CompletableFuture.allOf(sums.toArray(CompletableFuture[]::new)).thenApply(v -> {
                Map<String, Checksum> all = new HashMap<>();
                sums.forEach(f -> all.putAll(f.join()));
                return all;
            })));
        }
        if (makes().contains(VerifyStep.Checked.class)) {
            List<io.citusmigrate.verify.Verifier.TableCheck> checks = new ArrayList<>();
            each.forEach(o -> checks.addAll(o.get(VerifyStep.Checked.class).checks()));
            in.add(new VerifyStep.Checked(List.copyOf(checks)));
        }
    }
}
