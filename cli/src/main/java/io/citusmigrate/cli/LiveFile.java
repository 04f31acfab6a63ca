package io.citusmigrate.cli;

import io.citusmigrate.connect.ConnectorPair;
import io.citusmigrate.db.Databases;
import io.citusmigrate.connect.ConnectCluster;
import io.citusmigrate.progress.DeploymentRecord;
import io.citusmigrate.load.LoadCommand;
import io.citusmigrate.steps.MigrationSettings;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.sql.Connection;
import java.util.List;

/**
 * The FILE of the commands that look after a live migration (`cutover`, `status`, `cleanup`),
 * with `--connect` and `--name` for one deployed to Kafka Connect. Without `--connect`, the
 * deployment `deploy` recorded on the target.
 */
final class LiveFile extends CommandFile {
    @CommandLine.Option(names = "--connect", paramLabel = "URL", description = "the Kafka Connect cluster the migration was deployed to")
    String connect;

    @CommandLine.Option(names = "--name", defaultValue = "citus-migrate", description = "the connectors' name prefix given to deploy (default: ${DEFAULT-VALUE})")
    String name;

    /** The command file's settings, the deployment recorded for its slot found (and said on {@code said}). */
    MigrationSettings settings(PrintWriter said) {
        LoadCommand cmd = load();
        MigrationSettings settings = MigrationSettings.of(file, cmd, false, false, false);
        findRecorded(cmd, settings.slot(), said);
        return settings;
    }

    /** The cluster, or null without --connect (and none recorded). */
    ConnectCluster cluster() {
        return connect == null ? null : new ConnectCluster(connect);
    }

    /** NAME-source and NAME-sink, as deploy names them. */
    List<String> connectors() {
        return ConnectorPair.names(name);
    }

    /** The settings, and the target connection the recorded deployment was read on, left open for the caller: one connection fewer. */
    record Opened(MigrationSettings settings, Connection target) {}

    Opened settingsAndTarget(PrintWriter said) {
        LoadCommand cmd = load();
        MigrationSettings settings = MigrationSettings.of(file, cmd, false, false, false);
        Connection target = Databases.target(cmd);
        try {
            if (connect == null) {
                try {
                    said(DeploymentRecord.read(target, settings.slot()), said);
                } catch (java.sql.SQLException e) {
                    throw Databases.targetFailed(cmd, e);
                }
            }
        } catch (RuntimeException e) {
            Databases.close(target);
            throw e;
        }
        return new Opened(settings, target);
    }

    /** Without --connect: the deployment of this slot that `deploy` recorded on the target, if any, taken as if given. */
    private void findRecorded(LoadCommand cmd, String slot, PrintWriter out) {
        if (connect != null) return;
        said(Databases.onTarget(cmd, target -> DeploymentRecord.read(target, slot)), out);
    }

    private void said(java.util.Optional<DeploymentRecord.Deployment> recorded, PrintWriter out) {
        recorded.ifPresent(d -> {
            connect = d.connectUrl();
            name = d.name();
            out.println("the migration was deployed to the Connect cluster " + connect + " (connectors " + String.join(", ", connectors())
                    + "), as `deploy` recorded on the target");
            out.flush();
        });
    }
}
