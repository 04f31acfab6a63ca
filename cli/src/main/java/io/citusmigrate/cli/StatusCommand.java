package io.citusmigrate.cli;

import io.citusmigrate.steps.MigrationSettings;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.citusmigrate.UserError;
import io.citusmigrate.db.Databases;
import io.citusmigrate.live.LiveProgress;
import io.citusmigrate.live.LiveSource;
import io.citusmigrate.load.LoadCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code citus-migrate status FILE}: where the live migration of a command file stands, from
 * another terminal: its phase, the row changes applied (per table) and their rate, and how far
 * behind the source the target is, as the running {@code migrate} last reported it on the target.
 */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = "Shows where the live migration of a command file stands: phase, row changes applied per table, rate, lag.")
final class StatusCommand implements Callable<Integer> {
    @Parameters(paramLabel = "FILE", description = "the command file the live migration runs with")
    Path file;

    @CommandLine.Option(names = "--json", description = "print the status as JSON")
    boolean json;

    /** A Connect deployment: its connectors' states and the slot's lag. */
    @CommandLine.Mixin
    ConnectDeployment deployment;

    @CommandLine.Option(names = "--verbose", description = "print stack traces of errors")
    boolean verbose;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        LoadCommand cmd = Session.load(file, err);
        String slot = MigrationSettings.slot(cmd);
        boolean slotExists;
        deployment.findRecorded(cmd, slot, json ? new PrintWriter(java.io.OutputStream.nullOutputStream()) : out);
        Long slotLagBytes = null;
        LiveSource.SlotHealth health = null;
        try (Connection source = Databases.connect("source", cmd.source())) {
            slotExists = LiveSource.slotExists(source, slot);
            if (slotExists) slotLagBytes = slotLag(source, slot);
            if (slotExists) health = LiveSource.slotHealth(source, slot);
        } catch (SQLException e) {
            throw new UserError("the source " + cmd.source() + " failed: " + Databases.oneLine(e, cmd.source()));
        }
        LiveProgress.Status st;
        List<io.citusmigrate.live.StepRecord.Entry> steps;
        java.util.Map<String, long[]> copied;
        Long rejected = null;
        io.citusmigrate.live.ConnectCluster cluster = deployment.cluster();
        try (Connection target = Databases.target(cmd)) {
            st = LiveProgress.read(target, slot);
            steps = io.citusmigrate.live.StepRecord.read(target, slot);
            copied = io.citusmigrate.live.CopyRecord.copied(target, slot);
            if (cluster != null) {
                var sinkConfig = cluster.config(deployment.connectors().get(1));
                if (sinkConfig != null) rejected = io.citusmigrate.sink.SinkPositions.rejected(target, sinkConfig.getOrDefault("sink.name", ""));
            }
        } catch (SQLException e) {
            throw new UserError("the target database " + cmd.target() + " failed: " + Databases.oneLine(e, cmd.target()));
        }
        String state = !slotExists ? (st == null ? "none" : "ended") : st == null ? "starting"
                : st.ageSeconds() > LiveProgress.STALE_SECONDS ? "not reporting" : st.phase();
        java.util.Map<String, String> connectors = new java.util.LinkedHashMap<>();
        if (cluster != null) {
            for (String c : deployment.connectors()) connectors.put(c, cluster.state(c));
            if (slotExists) state = connectors.values().stream().allMatch("RUNNING"::equals) ? "streaming (Connect)" : "Connect: not all running";
        }
        if (json) {
            ObjectNode n = new ObjectMapper().createObjectNode();
            n.put("slot", slot);
            n.put("slot_exists", slotExists);
            n.put("state", state);
            if (slotLagBytes != null) n.put("slot_lag_bytes", slotLagBytes);
            if (health != null) {
                n.put("slot_wal_status", health.walStatus());
                n.put("slot_retained_bytes", health.retainedBytes());
                if (health.safeBytes() != null) n.put("slot_safe_bytes", health.safeBytes());
                if (health.warning(file.toString()) != null) n.put("slot_warning", health.warning(file.toString()));
            }
            if (rejected != null) n.put("rows_to_dead_letter_topic", rejected);
            if (!copied.isEmpty()) {
                ObjectNode c = n.putObject("bulk_load_copied");
                copied.forEach((t, v) -> c.putObject(t).put("rows", v[0]).put("ranges", v[1]));
            }
            if (!steps.isEmpty()) {
                var arr = n.putArray("steps");
                for (var e : steps) {
                    ObjectNode o = arr.addObject();
                    o.put("step", e.step());
                    o.put("started_at", e.started().toInstant().toString());
                    if (e.finished() != null) o.put("finished_at", e.finished().toInstant().toString());
                }
            }
            if (!connectors.isEmpty()) {
                ObjectNode cs = n.putObject("connectors");
                connectors.forEach(cs::put);
            }
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
            }
            out.println(new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(n));
            out.flush();
            return Main.OK;
        }
        out.println("live migration of " + file + " (slot " + slot + "): " + state);
        connectors.forEach((c, s) -> out.println("  connector " + c + ": " + s));
        if (!copied.isEmpty() && st == null) {
            out.println("  bulk load, copied so far:");
            copied.forEach((t, v) -> out.printf("    %-40s %d rows in %d ranges%n", t, v[0], v[1]));
        }
        for (var e : steps) {
            out.println("  step " + e.step() + ": " + (e.finished() != null
                    ? String.format(Locale.ROOT, "done in %.1f s", (e.finished().getTime() - e.started().getTime()) / 1000.0)
                    : "begun " + e.started().toInstant() + (slotExists ? ", not finished" : "")));
        }
        if (rejected != null) out.println("  rows the sink could not place, sent to the dead-letter topic: " + rejected);
        if (slotLagBytes != null) {
            out.println("  the slot has confirmed all but " + LiveProgress.bytes(slotLagBytes) + " of the source's WAL");
        }
        if (health != null) {
            out.println("  the slot holds " + LiveProgress.bytes(health.retainedBytes()) + " of WAL on the source"
                    + (health.safeBytes() == null ? " (max_slot_wal_keep_size: no limit; it grows until the source's disk fills if nothing reads it)"
                    : ", " + LiveProgress.bytes(Math.max(0, health.safeBytes())) + " more before PostgreSQL invalidates it"));
            String w = health.warning(file.toString());
            if (w != null) out.println("  " + w);
        }
        if (st == null) {
            if (cluster == null) {
                out.println(slotExists ? "  the slot exists but `migrate` has not reported yet (bulk load under way, or it stopped: see its output)"
                        : "  no live migration of this command file is under way");
            }
        } else {
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
        out.flush();
        return Main.OK;
    }

    /** WAL the slot has not confirmed yet: what a Connect deployment's lag is measured by. */
    private static Long slotLag(Connection source, String slot) throws SQLException {
        try (java.sql.PreparedStatement ps = source.prepareStatement("SELECT pg_catalog.pg_current_wal_lsn() - confirmed_flush_lsn"
                + " FROM pg_catalog.pg_replication_slots WHERE slot_name = ?")) {
            ps.setString(1, slot);
            try (java.sql.ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getObject(1) != null ? rs.getLong(1) : null;
            }
        }
    }

    private static double round(double v) {
        return Math.round(v * 10) / 10.0;
    }
}
