package io.citusmigrate.cli;

import io.citusmigrate.live.ConnectCluster;
import picocli.CommandLine;

import java.util.List;

/**
 * `--connect` and `--name` of the commands that look after a Connect deployment (`cutover`,
 * `status`, `cleanup`). Without `--connect`, the deployment `deploy` recorded on the target.
 */
final class ConnectDeployment {
    @CommandLine.Option(names = "--connect", paramLabel = "URL", description = "the Kafka Connect cluster the migration was deployed to")
    String connect;

    @CommandLine.Option(names = "--name", defaultValue = "citus-migrate", description = "the connectors' name prefix given to deploy (default: ${DEFAULT-VALUE})")
    String name;

    /** The cluster, or null without --connect (and none recorded: see {@link #findRecorded}). */
    ConnectCluster cluster() {
        return connect == null ? null : new ConnectCluster(connect);
    }

    /**
     * Without --connect: the deployment of this slot that `deploy` recorded on the target, if any,
     * taken as if given (and said on {@code out}).
     */
    void findRecorded(io.citusmigrate.load.LoadCommand cmd, String slot, java.io.PrintWriter out) {
        if (connect != null) return;
        try (java.sql.Connection target = io.citusmigrate.db.Databases.target(cmd)) {
            io.citusmigrate.live.DeploymentRecord.read(target, slot).ifPresent(d -> {
                connect = d.connectUrl();
                name = d.name();
                out.println("the migration was deployed to the Connect cluster " + connect + " (connectors " + String.join(", ", connectors())
                        + "), as `deploy` recorded on the target");
                out.flush();
            });
        } catch (java.sql.SQLException e) {
            throw new io.citusmigrate.UserError("the target database " + cmd.target() + " failed: " + io.citusmigrate.db.Databases.oneLine(e, cmd.target()));
        }
    }

    /** NAME-source and NAME-sink, as deploy names them. */
    List<String> connectors() {
        return names(name);
    }

    static List<String> names(String prefix) {
        return List.of(prefix + "-source", prefix + "-sink");
    }
}
