package io.citusmigrate.cleanup;

import io.citusmigrate.UserError;
import io.citusmigrate.db.Databases;
import io.citusmigrate.stream.AutovacuumPause;
import io.citusmigrate.connect.ConnectCluster;
import io.citusmigrate.stream.LiveSource;
import io.citusmigrate.progress.ProgressCatalog;
import io.citusmigrate.load.LoadCommand;
import io.citusmigrate.sink.SinkPositions;
import io.citusmigrate.steps.MigrationSettings;

import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * What an abandoned live migration of a command file leaves behind, said first, then removed:
 * a Connect deployment's connectors, the replication slot (which keeps WAL on the source for as
 * long as it exists) and the publication on the source, and the migration's rows in the target's
 * citus_migrate schema (the schema too once nothing else is in it). The target's tables stay.
 */
public record Cleanup(MigrationSettings settings, PrintWriter out) {
    /**
     * @param cluster    a Connect deployment's cluster, or null
     * @param connectUrl its URL as given
     * @param connectors its NAME-source and NAME-sink
     */
    public void run(ConnectCluster cluster, String connectUrl, List<String> connectors, boolean dryRun) {
        if (settings.tenantDatabases() && cluster == null) {
            databases(dryRun);
            return;
        }
        LoadCommand cmd = settings.command();
        String slot = settings.slot();
        String publication = settings.publication();
        List<String> found = new ArrayList<>();
        List<String> registered = new ArrayList<>();
        if (cluster != null) {
            for (String c : connectors) {
                if (cluster.config(c) != null) {
                    registered.add(c);
                    found.add("connector " + c + " on the Connect cluster " + connectUrl);
                }
            }
        }
        try (Connection source = Databases.connect("source", cmd.source()); Connection target = Databases.target(cmd)) {
            boolean slotThere = LiveSource.slotExists(source, slot);
            if (!dryRun && !registered.isEmpty()) {
                // the source connector holds the slot: the connectors go first, then the slot is free
                out.println("removing the connectors: " + String.join(", ", registered));
                out.flush();
                registered.forEach(cluster::delete);
                LiveSource.awaitNoReader(source, slot, 60_000);
            }
            Integer activePid = LiveSource.slotReader(source, slot);
            // in a dry run the connectors found would be removed first and free the slot
            if (activePid != null && !(dryRun && !registered.isEmpty())) {
                throw new UserError("the slot " + slot + " is in use (walsender pid " + activePid + "): a migrate of this command file is"
                        + " still streaming; stop it first");
            }
            if (slotThere) found.add("replication slot " + slot + " on the source " + cmd.source());
            if (LiveSource.publicationExists(source, publication)) found.add("publication " + publication + " on the source " + cmd.source());
            List<ProgressCatalog.CatalogTable> rows = new ArrayList<>();
            for (ProgressCatalog.CatalogTable t : ProgressCatalog.TABLES) {
                long n = ProgressCatalog.count(target, t, slot);
                if (n > 0) {
                    rows.add(t);
                    found.add(n + " row" + (n == 1 ? "" : "s") + " of citus_migrate." + t.name() + " on the target " + cmd.target());
                }
            }
            if (!said(found, dryRun, "no slot " + slot + ", no publication " + publication + ", no progress rows on the target")) return;
            LiveSource.drop(source, slot, publication);
            // a Connect deployment's sink keeps its positions under its connector's name
            if (cluster != null) SinkPositions.forget(target, connectors.get(1));
            AutovacuumPause.resume(target, slot); // autovacuum back on before its notes go
            if (ProgressCatalog.forget(target, rows, slot)) out.println("  (the citus_migrate schema held nothing else: dropped)");
            out.println("done");
            out.flush();
        } catch (SQLException e) {
            throw new UserError("cleanup failed: " + Databases.oneLine(e, null));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UserError("interrupted");
        }
    }

    /** Tenant databases consolidated: each database's slot and publication, and the rows of the migration's and each database's slot. */
    private void databases(boolean dryRun) {
        LoadCommand cmd = settings.command();
        String publication = settings.publication();
        List<String> found = new ArrayList<>();
        java.util.Map<String, String> slots = new java.util.LinkedHashMap<>(); // database -> its slot
        try (Connection target = Databases.target(cmd)) {
            for (String db : io.citusmigrate.catalog.TenantDatabases.names(cmd)) {
                String slot = MigrationSettings.slotFor(settings.slot(), db);
                var url = io.citusmigrate.catalog.TenantDatabases.url(cmd, db);
                try (Connection source = Databases.connect("source", url)) {
                    Integer activePid = LiveSource.slotReader(source, slot);
                    if (activePid != null) {
                        throw new UserError("the slot " + slot + " is in use (walsender pid " + activePid + "): a migrate of this command file is"
                                + " still streaming; stop it first");
                    }
                    boolean there = false;
                    if (LiveSource.slotExists(source, slot)) {
                        found.add("replication slot " + slot + " on the source " + url);
                        there = true;
                    }
                    if (LiveSource.publicationExists(source, publication)) {
                        found.add("publication " + publication + " on the source " + url);
                        there = true;
                    }
                    if (there) slots.put(db, slot);
                }
            }
            // slots of databases the rule no longer matches (renamed, or the file edited): slots are the server's, and hold its WAL
            try (Connection server = Databases.connect("source", cmd.source());
                 java.sql.PreparedStatement ps = server.prepareStatement("SELECT slot_name, database FROM pg_catalog.pg_replication_slots"
                         + " WHERE starts_with(slot_name, ?) AND database IS NOT NULL ORDER BY 1")) {
                ps.setString(1, settings.slot() + "_");
                try (java.sql.ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        String db = rs.getString(2);
                        if (slots.containsKey(db) || slots.containsValue(rs.getString(1))) continue;
                        if (!rs.getString(1).equals(MigrationSettings.slotFor(settings.slot(), db))) continue;
                        slots.put(db, rs.getString(1));
                        found.add("replication slot " + rs.getString(1) + " on the source " + io.citusmigrate.catalog.TenantDatabases.url(cmd, db)
                                + " (a database the rule no longer matches)");
                    }
                }
            }
            java.util.Map<String, List<ProgressCatalog.CatalogTable>> rows = new java.util.LinkedHashMap<>();
            List<String> keys = new ArrayList<>(List.of(settings.slot()));
            io.citusmigrate.catalog.TenantDatabases.names(cmd).forEach(db -> keys.add(MigrationSettings.slotFor(settings.slot(), db)));
            for (String slot : keys) {
                for (ProgressCatalog.CatalogTable t : ProgressCatalog.TABLES) {
                    long n = ProgressCatalog.count(target, t, slot);
                    if (n > 0) {
                        rows.computeIfAbsent(slot, k -> new ArrayList<>()).add(t);
                        found.add(n + " row" + (n == 1 ? "" : "s") + " of citus_migrate." + t.name() + " (" + slot + ") on the target " + cmd.target());
                    }
                }
            }
            if (!said(found, dryRun, "no slot " + settings.slot() + "_..., no publication " + publication
                    + " in the tenant databases, no progress rows on the target")) return;
            for (var e : slots.entrySet()) {
                try (Connection source = Databases.connect("source", io.citusmigrate.catalog.TenantDatabases.url(cmd, e.getKey()))) {
                    LiveSource.drop(source, e.getValue(), publication);
                }
            }
            AutovacuumPause.resume(target, settings.slot());
            boolean dropped = false;
            for (var e : rows.entrySet()) dropped = ProgressCatalog.forget(target, e.getValue(), e.getKey());
            if (dropped) out.println("  (the citus_migrate schema held nothing else: dropped)");
            out.println("done");
            out.flush();
        } catch (SQLException e) {
            throw new UserError("cleanup failed: " + Databases.oneLine(e, null));
        }
    }

    /** Says what is found (or, with none, that there is nothing: {@code none}); true when it is to be removed now (not a dry run). */
    private boolean said(List<String> found, boolean dryRun, String none) {
        if (found.isEmpty()) {
            out.println("nothing to clean up: " + none);
            out.flush();
            return false;
        }
        out.println((dryRun ? "would remove" : "removing") + ":");
        found.forEach(f -> out.println("  " + f));
        out.flush();
        return !dryRun;
    }
}
