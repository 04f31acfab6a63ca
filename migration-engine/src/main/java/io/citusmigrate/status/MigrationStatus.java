package io.citusmigrate.status;

import io.citusmigrate.db.Databases;
import io.citusmigrate.connect.ConnectCluster;
import io.citusmigrate.progress.CopyRecord;
import io.citusmigrate.stream.LiveProgress;
import io.citusmigrate.stream.LiveSource;
import io.citusmigrate.progress.StepRecord;
import io.citusmigrate.load.LoadCommand;
import io.citusmigrate.sink.SinkPositions;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where the live migration of a command file stands, read from both sides: the slot on the
 * source, and on the target what the running `migrate` (or a Connect deployment's sink) last
 * recorded. {@link StatusReport} prints it.
 *
 * @param slotLagBytes WAL the slot has not confirmed yet; null without a slot
 * @param health       the slot's retained WAL; null without a slot
 * @param progress     migrate's last report; null before its first
 * @param copied       the bulk load's rows and ranges copied so far, per table
 * @param rejected     rows a Connect deployment's sink sent to the dead-letter topic; null without one
 * @param connectors   each connector's state; empty without a Connect deployment
 * @param consolidated the tenant schemas are consolidated into one set of tables (else each a distributed schema)
 * @param autovacuumPaused target tables a cutover paused autovacuum on, not turned back on yet
 */
public record MigrationStatus(String slot, boolean slotExists, Long slotLagBytes, LiveSource.SlotHealth health, LiveProgress.Status progress,
                              List<StepRecord.Entry> steps, Map<String, long[]> copied, Long rejected, Map<String, String> connectors,
                              boolean onConnect, List<io.citusmigrate.load.NamePattern> tenantSchemas, boolean consolidated,
                              List<String> autovacuumPaused) {

    /** @param cluster a Connect deployment's cluster, or null; {@code connectors} its NAME-source and NAME-sink */
    public static MigrationStatus read(LoadCommand cmd, String slot, ConnectCluster cluster, List<String> connectors) {
        Source s = Databases.onSource(cmd, source -> {
            boolean exists = LiveSource.slotExists(source, slot);
            return exists ? new Source(true, slotLag(source, slot), LiveSource.slotHealth(source, slot)) : new Source(false, null, null);
        });
        Target t = Databases.onTarget(cmd, target -> {
            Long rejected = null;
            if (cluster != null) {
                var sinkConfig = cluster.config(connectors.get(1));
                if (sinkConfig != null) rejected = SinkPositions.rejected(target, sinkConfig.getOrDefault("sink.name", ""));
            }
            return new Target(LiveProgress.read(target, slot), StepRecord.read(target, slot), CopyRecord.copied(target, slot), rejected,
                    io.citusmigrate.stream.AutovacuumPause.paused(target, slot));
        });
        Map<String, String> states = new LinkedHashMap<>();
        if (cluster != null) for (String c : connectors) states.put(c, cluster.state(c));
        return new MigrationStatus(slot, s.exists(), s.lag(), s.health(), t.progress(), t.steps(), t.copied(), t.rejected(), states,
                cluster != null, cmd.distribute().stream().flatMap(r -> r.schemas().stream()).toList(),
                cmd.distribute().stream().anyMatch(io.citusmigrate.load.DistributeRule::isConsolidation), t.autovacuumPaused());
    }

    /**
     * With {@code distribute schemas matching}: the rows written while streaming per tenant (each
     * source schema the rules' patterns match, a distributed schema on the target or its rows in
     * the consolidated tables), with the
     * number of its tables written to; empty otherwise or before the first report.
     */
    public Map<String, long[]> tenants() {
        Map<String, long[]> out = new java.util.TreeMap<>();
        if (progress == null || tenantSchemas.isEmpty()) return out;
        progress.tables().forEach((table, rows) -> {
            int dot = table.indexOf('.');
            String schema = dot < 0 ? "" : table.substring(0, dot);
            if (tenantSchemas.stream().anyMatch(p -> p.matches(schema))) {
                long[] t = out.computeIfAbsent(schema, k -> new long[2]);
                t[0] += rows;
                t[1]++;
            }
        });
        return out;
    }

    private record Source(boolean exists, Long lag, LiveSource.SlotHealth health) {}

    private record Target(LiveProgress.Status progress, List<StepRecord.Entry> steps, Map<String, long[]> copied, Long rejected,
                          List<String> autovacuumPaused) {}

    /** The one word or phrase `status` leads with. */
    public String state() {
        if (onConnect && slotExists) {
            return connectors.values().stream().allMatch("RUNNING"::equals) ? "streaming (Connect)" : "Connect: not all running";
        }
        return !slotExists ? (progress == null ? "none" : "ended") : progress == null ? "starting"
                : progress.ageSeconds() > LiveProgress.STALE_SECONDS ? "not reporting" : progress.phase();
    }

    /** WAL the slot has not confirmed yet: what a Connect deployment's lag is measured by. */
    private static Long slotLag(Connection source, String slot) throws SQLException {
        try (PreparedStatement ps = source.prepareStatement("SELECT pg_catalog.pg_current_wal_lsn() - confirmed_flush_lsn"
                + " FROM pg_catalog.pg_replication_slots WHERE slot_name = ?")) {
            ps.setString(1, slot);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getObject(1) != null ? rs.getLong(1) : null;
            }
        }
    }
}
