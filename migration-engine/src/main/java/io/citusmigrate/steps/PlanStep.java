package io.citusmigrate.steps;

import io.citusmigrate.stream.StreamedTypes;

/** The plan: refused when Citus would reject it, or when a stream could not carry one of its columns exactly. */
final class PlanStep implements Step {
    @Override
    public boolean run(Migration m, Outputs in) {
        if (!m.plan.ok()) {
            m.err.println("The plan cannot work on Citus; nothing was changed on the target:");
            m.plan.errors().forEach(e -> m.err.println("  " + e));
            if (m.settings.resume() && m.plan.consolidation() != null) {
                m.err.println("If a schema change rolled out to the tenants is half done, finish it in every tenant, then run `citus-migrate migrate "
                        + m.settings.file() + " --resume` again: the stream carries each tenant's change in its place.");
            }
            m.err.flush();
            return false;
        }
        String notStreamed = m.plan.consolidation() == null || !m.settings.streams() && !m.settings.viaDebezium() ? null
                : m.plan.consolidation().notStreamed(m.settings.viaDebezium());
        if (notStreamed != null) {
            m.err.println(notStreamed + "; nothing was changed on the source or the target");
            m.err.flush();
            return false;
        }
        if (m.settings.dataOnly() && !m.plan.tenantDatabases().isEmpty()) {
            m.err.println("`data only` loads one source database into the tables the target has; tenant databases consolidated are loaded"
                    + " with their tables created (leave out `data only`); nothing was changed on the target");
            m.err.flush();
            return false;
        }
        m.plan.warnings().forEach(m.err::println);
        m.err.flush();
        return !(m.settings.streams() && StreamedTypes.refuse(m.plan, m.catalog, m.settings.viaDebezium(), m.err,
                "nothing was changed on the target"));
    }
}
