package io.citusmigrate.cli;

import io.citusmigrate.steps.MigrationSettings;
import io.citusmigrate.UserError;
import io.citusmigrate.db.Databases;
import io.citusmigrate.live.LiveSource;
import io.citusmigrate.live.ProgressCatalog;
import io.citusmigrate.load.LoadCommand;
import io.citusmigrate.sql.Sql;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code citus-migrate cleanup FILE}: what an abandoned live migration of a command file leaves
 * behind, said first, then removed: the replication slot (which keeps WAL on the source for as
 * long as it exists) and the publication on the source, and the migration's rows in the target's
 * citus_migrate schema (the schema too once nothing else is in it). The target's tables stay.
 */
@Command(name = "cleanup", mixinStandardHelpOptions = true,
        description = "Removes what an abandoned live migration left: the slot and publication on the source, its progress rows on the target.")
final class CleanupCommand implements Callable<Integer> {
    /** The progress catalog's tables: what a migration leaves on the target. */
    private static final List<ProgressCatalog.CatalogTable> CATALOG = ProgressCatalog.TABLES;

    @Parameters(paramLabel = "FILE", description = "the command file the live migration ran with")
    Path file;

    @CommandLine.Option(names = "--dry-run", description = "say what would be removed, remove nothing")
    boolean dryRun;

    /** A Connect deployment: its connectors NAME-source and NAME-sink go first. */
    @CommandLine.Mixin
    ConnectDeployment deployment;

    @CommandLine.Option(names = "--verbose", description = "print stack traces of errors")
    boolean verbose;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        LoadCommand cmd = Session.load(file, err);
        MigrationSettings settings = MigrationSettings.of(file, cmd, false, false, false);
        String slot = settings.slot();
        String publication = settings.publication();
        List<String> found = new ArrayList<>();
        deployment.findRecorded(cmd, slot, out);
        io.citusmigrate.live.ConnectCluster cluster = deployment.cluster();
        List<String> connectors = new ArrayList<>();
        if (cluster != null) {
            for (String c : deployment.connectors()) {
                if (cluster.config(c) != null) {
                    connectors.add(c);
                    found.add("connector " + c + " on the Connect cluster " + deployment.connect);
                }
            }
        }
        try (Connection source = Databases.connect("source", cmd.source()); Connection target = Databases.target(cmd)) {
            boolean slotThere = LiveSource.slotExists(source, slot);
            if (!dryRun && !connectors.isEmpty()) {
                // the source connector holds the slot: the connectors go first, then the slot is free
                out.println("removing the connectors: " + String.join(", ", connectors));
                out.flush();
                connectors.forEach(cluster::delete);
                long deadline = System.currentTimeMillis() + 60_000;
                while (LiveSource.slotReader(source, slot) != null && System.currentTimeMillis() < deadline) Thread.sleep(500);
            }
            Integer activePid = LiveSource.slotReader(source, slot);
            // in a dry run the connectors found would be removed first and free the slot
            if (activePid != null && !(dryRun && !connectors.isEmpty())) {
                throw new UserError("the slot " + slot + " is in use (walsender pid " + activePid + "): a migrate of this command file is"
                        + " still streaming; stop it first");
            }
            boolean publicationThere = exists(source, "SELECT 1 FROM pg_catalog.pg_publication WHERE pubname = ?", publication);
            if (slotThere) found.add("replication slot " + slot + " on the source " + cmd.source());
            if (publicationThere) found.add("publication " + publication + " on the source " + cmd.source());
            List<ProgressCatalog.CatalogTable> rows = new ArrayList<>();
            for (ProgressCatalog.CatalogTable t : CATALOG) {
                long n = count(target, t, slot);
                if (n > 0) {
                    rows.add(t);
                    found.add(n + " row" + (n == 1 ? "" : "s") + " of citus_migrate." + t.name() + " on the target " + cmd.target());
                }
            }
            if (found.isEmpty()) {
                out.println("nothing to clean up: no slot " + slot + ", no publication " + publication + ", no progress rows on the target");
                out.flush();
                return Main.OK;
            }
            out.println((dryRun ? "would remove" : "removing") + ":");
            found.forEach(f -> out.println("  " + f));
            out.flush();
            if (dryRun) return Main.OK;
            LiveSource.drop(source, slot, publication);
            // a Connect deployment's sink keeps its positions under its connector's name
            if (cluster != null) io.citusmigrate.sink.SinkPositions.forget(target, deployment.connectors().get(1));
            io.citusmigrate.live.AutovacuumPause.resume(target, slot); // autovacuum back on before its notes go
            for (ProgressCatalog.CatalogTable t : rows) {
                try (PreparedStatement ps = target.prepareStatement("DELETE FROM citus_migrate." + Sql.ident(t.name()) + " WHERE " + Sql.ident(t.keyColumn()) + " = ?")) {
                    ps.setString(1, t.key(slot));
                    ps.executeUpdate();
                }
            }
            if (catalogEmpty(target)) {
                try (Statement s = target.createStatement()) {
                    s.execute("DROP SCHEMA IF EXISTS citus_migrate CASCADE");
                }
                out.println("  (the citus_migrate schema held nothing else: dropped)");
            }
            out.println("done");
            out.flush();
            return Main.OK;
        } catch (SQLException e) {
            throw new UserError("cleanup failed: " + Databases.oneLine(e, null));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UserError("interrupted");
        }
    }


    private static long count(Connection target, ProgressCatalog.CatalogTable table, String slot) throws SQLException {
        if (!tableExists(target, table.name())) return 0;
        try (PreparedStatement ps = target.prepareStatement("SELECT count(*) FROM citus_migrate." + Sql.ident(table.name()) + " WHERE "
                + Sql.ident(table.keyColumn()) + " = ?")) {
            ps.setString(1, table.key(slot));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    private static boolean catalogEmpty(Connection target) throws SQLException {
        for (ProgressCatalog.CatalogTable t : CATALOG) {
            if (!tableExists(target, t.name())) continue;
            try (Statement s = target.createStatement(); ResultSet rs = s.executeQuery("SELECT EXISTS (SELECT 1 FROM citus_migrate." + Sql.ident(t.name()) + ")")) {
                rs.next();
                if (rs.getBoolean(1)) return false;
            }
        }
        return allOurs(target);
    }

    private static boolean allOurs(Connection target) throws SQLException {
        try (Statement s = target.createStatement(); ResultSet rs = s.executeQuery("SELECT c.relname FROM pg_catalog.pg_class c"
                + " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'citus_migrate' AND c.relkind IN ('r', 'p')")) {
            while (rs.next()) {
                String name = rs.getString(1);
                if (!name.equals("catalog_version") && CATALOG.stream().noneMatch(t -> t.name().equals(name))) return false;
            }
        }
        return true;
    }

    private static boolean tableExists(Connection target, String table) throws SQLException {
        return exists(target, "SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
                + " WHERE n.nspname = 'citus_migrate' AND c.relname = ?", table);
    }

    private static boolean exists(Connection c, String sql, String name) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }
}
