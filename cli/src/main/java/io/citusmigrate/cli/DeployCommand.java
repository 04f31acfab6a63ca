package io.citusmigrate.cli;

import io.citusmigrate.connect.ConnectDeploy;
import io.citusmigrate.connect.DeployRequest;
import io.citusmigrate.stream.ConnectorConfigs;
import io.citusmigrate.load.LoadCommand;
import io.citusmigrate.steps.MigrationSettings;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

/**
 * {@code citus-migrate deploy FILE --connect URL}: puts Debezium's PostgreSQL source and the
 * Citus sink for the plan on an existing Kafka Connect cluster ({@link ConnectDeploy}). The
 * target schema must exist (`migrate` with `schema only`) or is made here.
 */
@Command(name = "deploy", mixinStandardHelpOptions = true,
        description = "Deploys Debezium's PostgreSQL source and the Citus sink for the plan to a Kafka Connect cluster through its REST API.")
final class DeployCommand implements Callable<Integer> {
    @CommandLine.Mixin
    CommandFile in;

    @CommandLine.Option(names = "--connect", required = true, description = "the Connect cluster's REST URL, e.g. http://connect:8083")
    String connect;

    @CommandLine.Option(names = "--name", defaultValue = "citus-migrate", description = "connector name prefix: NAME-source, NAME-sink (default: ${DEFAULT-VALUE})")
    String name;

    @CommandLine.Option(names = "--topic-prefix", defaultValue = "citus_migrate", description = "Debezium's topic.prefix (default: ${DEFAULT-VALUE})")
    String topicPrefix;

    @CommandLine.Option(names = "--passwords", defaultValue = "env",
            description = "env: the configs refer to $${env:CITUS_MIGRATE_SOURCE_PASSWORD} and $${env:CITUS_MIGRATE_TARGET_PASSWORD}, which the"
                    + " workers resolve (config.providers=env); inline: the passwords of the command file go to the cluster, whose"
                    + " REST API then shows them in plain text (a warning says so) (default: ${DEFAULT-VALUE})")
    String passwords;

    @CommandLine.Option(names = "--delete", description = "delete both connectors instead (the slot and the publication stay on the source:"
            + " `cleanup FILE` removes them)")
    boolean delete;

    @CommandLine.Option(names = "--dry-run", description = "validate both configs on the cluster and print them (passwords hidden), register nothing")
    boolean dryRun;

    @CommandLine.Option(names = "--force", description = "on a redeploy, overwrite settings changed on the cluster since (they are named)")
    boolean force;

    @CommandLine.Option(names = "--dlq-replication-factor", defaultValue = "-1",
            description = "replication factor of the dead-letter topic NAME-dlq that `on orphan rows skip` sends unplaceable rows to;"
                    + " -1: the brokers' default.replication.factor, which fits any cluster, one broker included (default: ${DEFAULT-VALUE})")
    int dlqReplicationFactor;

    @CommandLine.Option(names = "--timeout", defaultValue = "120", description = "seconds to wait for the connectors to run (default: ${DEFAULT-VALUE})")
    int timeoutSeconds;

    @CommandLine.Option(names = "--sink-tasks", defaultValue = "1",
            description = "tasks of the sink (tasks.max): the tables' topics are split between them; tenant moves stay consistent"
                    + " across tasks (default: ${DEFAULT-VALUE})")
    int sinkTasks;

    @CommandLine.Option(names = "--no-schema",
            description = "the target's schema is there already (made by `migrate` with `schema only`): do not create it")
    boolean noSchema;

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter err = in.err();
        LoadCommand cmd = in.load();
        MigrationSettings settings = MigrationSettings.of(in.file, cmd, false, false, false).onConnect();
        if (delete) {
            deploy(settings, ConnectorConfigs.Passwords.ENV).delete();
            return Main.OK;
        }
        ConnectorConfigs.Passwords pw = DeployRequest.passwords(passwords);
        if (pw == ConnectorConfigs.Passwords.INLINE) {
            err.println("warning: --passwords inline: the Connect cluster's REST API shows them in plain text to anyone who can read"
                    + " GET /connectors/NAME/config; prefer --passwords env");
            err.flush();
        }
        Session s = Session.open(cmd);
        if (s.refused(err) || s.streamRefused(err)) return Main.FAILED;
        return deploy(settings, pw).run(s.catalog(), s.plan()) ? Main.OK : Main.FAILED;
    }

    private ConnectDeploy deploy(MigrationSettings settings, ConnectorConfigs.Passwords pw) {
        return new ConnectDeploy(settings, new DeployRequest(connect, name, topicPrefix, pw, dryRun, force, dlqReplicationFactor,
                timeoutSeconds, sinkTasks, noSchema), in.out(), in.err());
    }
}
