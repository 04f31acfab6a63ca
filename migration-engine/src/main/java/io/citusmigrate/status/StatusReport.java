package io.citusmigrate.status;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.citusmigrate.stream.LiveProgress;
import io.citusmigrate.stream.LiveSource;
import io.citusmigrate.progress.StepRecord;

import java.io.PrintWriter;
import java.util.Locale;

/** {@link MigrationStatus} as `status` prints it: text for a person, or JSON. */
public final class StatusReport {
    private StatusReport() {}

    public static String json(MigrationStatus m, String file) throws com.fasterxml.jackson.core.JsonProcessingException {
        ObjectNode n = new ObjectMapper().createObjectNode();
        n.put("slot", m.slot());
        n.put("slot_exists", m.slotExists());
        n.put("state", m.state());
        if (m.slotLagBytes() != null) n.put("slot_lag_bytes", m.slotLagBytes());
        LiveSource.SlotHealth health = m.health();
        if (health != null) {
            n.put("slot_wal_status", health.walStatus());
            n.put("slot_retained_bytes", health.retainedBytes());
            if (health.safeBytes() != null) n.put("slot_safe_bytes", health.safeBytes());
            if (health.warning(file) != null) n.put("slot_warning", health.warning(file));
        }
        if (m.rejected() != null) n.put("rows_to_dead_letter_topic", m.rejected());
        if (!m.autovacuumPaused().isEmpty()) {
            ArrayNode paused = n.putArray("autovacuum_paused_on");
            m.autovacuumPaused().forEach(paused::add);
        }
        if (!m.copied().isEmpty()) {
            ObjectNode c = n.putObject("bulk_load_copied");
            m.copied().forEach((t, v) -> c.putObject(t).put("rows", v[0]).put("ranges", v[1]));
        }
        if (!m.steps().isEmpty()) {
            ArrayNode arr = n.putArray("steps");
            for (StepRecord.Entry e : m.steps()) {
                ObjectNode o = arr.addObject();
                o.put("step", e.step());
                o.put("started_at", e.started().toInstant().toString());
                if (e.finished() != null) o.put("finished_at", e.finished().toInstant().toString());
            }
        }
        if (!m.connectors().isEmpty()) {
            ObjectNode cs = n.putObject("connectors");
            m.connectors().forEach(cs::put);
        }
        LiveProgress.Status st = m.progress();
        if (st != null) {
            n.put("phase", st.phase());
            n.put("status_age_seconds", round(st.ageSeconds()));
            n.put("row_changes_applied", st.applied());
            n.put("row_changes_per_second", round(st.rate()));
            n.put("lag_seconds", round(st.lagSeconds()));
            n.put("lag_bytes", st.lagBytes());
            n.put("catch_up_seconds", Double.isInfinite(st.catchUpSeconds()) ? null : round(st.catchUpSeconds()));
            n.put("source_seconds_applied_per_second", round(st.pace()));
            ObjectNode tables = n.putObject("rows_written_per_table");
            st.tables().forEach(tables::put);
            if (!m.tenants().isEmpty()) {
                ObjectNode tenants = n.putObject("rows_written_per_tenant");
                m.tenants().forEach((t, v) -> tenants.putObject(t).put("rows", v[0]).put("tables", v[1]));
            }
        }
        return new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(n);
    }

    public static void print(MigrationStatus m, String file, PrintWriter out) {
        out.println("live migration of " + file + " (slot " + m.slot() + "): " + m.state());
        m.connectors().forEach((c, s) -> out.println("  connector " + c + ": " + s));
        LiveProgress.Status st = m.progress();
        if (!m.copied().isEmpty() && st == null) {
            out.println("  bulk load, copied so far:");
            m.copied().forEach((t, v) -> out.printf("    %-40s %d rows in %d ranges%n", t, v[0], v[1]));
        }
        for (StepRecord.Entry e : m.steps()) {
            out.println("  step " + e.step() + ": " + (e.finished() != null
                    ? String.format(Locale.ROOT, "done in %.1f s", (e.finished().getTime() - e.started().getTime()) / 1000.0)
                    : "begun " + e.started().toInstant() + (m.slotExists() ? ", not finished" : "")));
        }
        if (m.rejected() != null) out.println("  rows the sink could not place, sent to the dead-letter topic: " + m.rejected());
        if (!m.autovacuumPaused().isEmpty()) {
            // a cutover under way, or one that ended without turning it back on (killed): it must not stay off unnoticed
            out.println("  autovacuum paused by a cutover on " + m.autovacuumPaused().size() + " target table" + (m.autovacuumPaused().size() == 1 ? "" : "s")
                    + " (" + String.join(", ", m.autovacuumPaused()) + "): on again once a cutover finishes (for a migration given up, `citus-migrate"
                    + " cleanup " + file + "` does it)");
        }
        if (m.slotLagBytes() != null) {
            out.println("  the slot has confirmed all but " + LiveProgress.bytes(m.slotLagBytes()) + " of the source's WAL");
        }
        LiveSource.SlotHealth health = m.health();
        if (health != null) {
            out.println("  the slot holds " + LiveProgress.bytes(health.retainedBytes()) + " of WAL on the source"
                    + (health.safeBytes() == null ? " (max_slot_wal_keep_size: no limit; it grows until the source's disk fills if nothing reads it)"
                    : ", " + LiveProgress.bytes(Math.max(0, health.safeBytes())) + " more before PostgreSQL invalidates it"));
            String w = health.warning(file);
            if (w != null) out.println("  " + w);
        }
        if (st == null) {
            if (!m.onConnect()) {
                out.println(m.slotExists() ? "  the slot exists but `migrate` has not reported yet (bulk load under way, or it stopped: see its output)"
                        : "  no live migration of this command file is under way");
            }
        } else {
            printProgress(st, out);
            if (!m.tenants().isEmpty()) {
                out.println(m.consolidated() ? "  rows written per tenant (each a source schema, its rows under its tenant key in the consolidated tables):"
                        : "  rows written per tenant (each a source schema, a distributed schema on the target):");
                m.tenants().forEach((t, v) -> out.printf("    %-40s %d in %d tables%n", t, v[0], v[1]));
            }
        }
        out.flush();
    }

    private static void printProgress(LiveProgress.Status st, PrintWriter out) {
        out.printf(Locale.ROOT, "  last report %.1f s ago%s%n", st.ageSeconds(),
                st.ageSeconds() > LiveProgress.STALE_SECONDS ? ": is `citus-migrate migrate` still running?" : "");
        out.printf(Locale.ROOT, "  row changes applied: %d (%.0f/s over the last seconds)%n", st.applied(), st.rate());
        out.printf(Locale.ROOT, "  behind the source: %.1f s, %s; catch-up at the recent pace: %s%n", st.lagSeconds(), LiveProgress.bytes(st.lagBytes()),
                Double.isInfinite(st.catchUpSeconds()) ? "unknown (nothing applied lately)" : String.format(Locale.ROOT, "about %.1f s", st.catchUpSeconds())
                        + (st.pace() > 0 ? String.format(Locale.ROOT, " once writes stop (it applies %.2f s of the source's writes a second)", st.pace()) : ""));
        if (!st.tables().isEmpty()) {
            out.println("  rows written per table:");
            st.tables().forEach((t, n) -> out.printf("    %-40s %d%n", t, n));
        }
    }

    private static double round(double v) {
        return Math.round(v * 10) / 10.0;
    }
}
