package io.citusmigrate.steps;

import io.citusmigrate.plan.TablePlan;
import io.citusmigrate.verify.Verifier;

import java.io.PrintWriter;
import java.util.List;
import java.util.Set;

/**
 * What the steps so far did: the copy's table (rows, bytes, verification), the time per step, the
 * tables made. A failed verification stops the run. After a copy, needs {@link CopyStep.Copied}
 * and {@link VerifyStep.Checked}.
 */
final class LoadReportStep implements Step {
    /** Where the bulk load's summary table goes when not to the console (pgloader's --summary): handed on by the run. */
    record SummaryTo(PrintWriter writer) {}

    @Override
    public Set<Class<?>> needs(MigrationSettings s) {
        return s.copies() ? Set.of(CopyStep.Copied.class, VerifyStep.Checked.class) : Set.of();
    }

    @Override
    public boolean run(Migration m, Outputs in) {
        boolean copy = m.settings.copies();
        List<Verifier.TableCheck> checks = copy ? in.get(VerifyStep.Checked.class).checks() : List.of();
        if (copy) {
            LoadSummary.print(in.find(SummaryTo.class).map(SummaryTo::writer).orElse(m.out), in.get(CopyStep.Copied.class).results(), checks);
            for (Timings.Timing t : in.timings().steps()) {
                if (t.step() != StepName.PLAN && t.step() != StepName.PUBLICATION) m.out.printf("  %-32s %8.1f s%n", t.step().label(), t.seconds());
            }
        }
        long dist = count(m, TablePlan.Kind.DISTRIBUTED);
        long ref = count(m, TablePlan.Kind.REFERENCE);
        long local = count(m, TablePlan.Kind.LOCAL);
        long inSchemas = count(m, TablePlan.Kind.SCHEMA);
        String rehearsal = m.settings.rehearsal() ? "rehearsed" : null;
        m.out.printf("%s on %s: %d distributed, %d reference, %d local tables%s in %.1f s%n",
                copy ? "Bulk load " + (rehearsal != null ? rehearsal : "done") : "Schema " + (rehearsal != null ? rehearsal : "created"),
                m.settings.target(), dist, ref, local, inSchemas == 0 ? "" : ", " + inSchemas + " in distributed schemas", Migration.secs(m.started));
        m.out.flush();
        List<Verifier.TableCheck> bad = checks.stream().filter(c -> !c.ok()).toList();
        if (bad.isEmpty()) return true;
        bad.forEach(c -> m.err.println("verification failed: " + c.table() + ": " + c.problem() + (c.sampleKey() == null ? "" : ", e.g. key " + c.sampleKey())));
        m.err.flush();
        return false;
    }

    private static long count(Migration m, TablePlan.Kind kind) {
        return m.plan.tables().stream().filter(t -> !t.isPartition() && t.kind() == kind).count();
    }
}
