package io.citusmigrate.cli;

import io.citusmigrate.live.ConnectCluster;
import picocli.CommandLine;

import java.util.List;

/** `--connect` and `--name` of the commands that look after a Connect deployment (`status`, `cleanup`). */
final class ConnectDeployment {
    @CommandLine.Option(names = "--connect", paramLabel = "URL", description = "the Kafka Connect cluster the migration was deployed to")
    String connect;

    @CommandLine.Option(names = "--name", defaultValue = "citus-migrate", description = "the connectors' name prefix given to deploy (default: ${DEFAULT-VALUE})")
    String name;

    /** The cluster, or null without --connect. */
    ConnectCluster cluster() {
        return connect == null ? null : new ConnectCluster(connect);
    }

    /** NAME-source and NAME-sink, as deploy names them. */
    List<String> connectors() {
        return names(name);
    }

    static List<String> names(String prefix) {
        return List.of(prefix + "-source", prefix + "-sink");
    }
}
