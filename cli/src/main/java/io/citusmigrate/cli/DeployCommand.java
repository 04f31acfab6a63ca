package io.citusmigrate.cli;

import io.citusmigrate.UserError;
import io.citusmigrate.steps.Migration;
import io.citusmigrate.steps.MigrationSettings;
import io.citusmigrate.steps.Steps;
import io.citusmigrate.live.ConnectCluster;
import io.citusmigrate.live.ConnectorConfigs;
import io.citusmigrate.live.LiveSource;
import io.citusmigrate.load.LoadCommand;
import io.citusmigrate.load.Option;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;

/**
 * {@code citus-migrate deploy FILE --connect URL}: puts Debezium's PostgreSQL source and the
 * Citus sink for the plan on an existing Kafka Connect cluster through its REST API, once the
 * cluster's plugins have validated both configs, and waits until their tasks run. The target
 * schema must exist (`migrate` with `schema only`). A redeploy keeps settings added on the
 * cluster since, and refuses (unless --force) to overwrite settings changed there.
 */
@Command(name = "deploy", mixinStandardHelpOptions = true,
        description = "Deploys Debezium's PostgreSQL source and the Citus sink for the plan to a Kafka Connect cluster through its REST API.")
final class DeployCommand implements Callable<Integer> {
    @Parameters(paramLabel = "FILE", description = "the command file")
    Path file;

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

    @CommandLine.Option(names = "--verbose", description = "print stack traces of errors")
    boolean verbose;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        LoadCommand cmd = Session.load(file, err);
        ConnectCluster cluster = new ConnectCluster(connect);
        String source = ConnectDeployment.names(name).get(0);
        String sink = ConnectDeployment.names(name).get(1);
        MigrationSettings settings = MigrationSettings.of(file, cmd, false, false, false).onConnect();
        String slot = settings.slot();
        String publication = settings.publication();
        if (delete) {
            for (String c : List.of(source, sink)) out.println(c + (cluster.delete(c) ? ": deleted" : ": not there"));
            out.println("the replication slot " + slot + " and the publication " + publication + " stay on the source:"
                    + " `citus-migrate cleanup " + file + "` removes them");
            out.flush();
            return Main.OK;
        }
        ConnectorConfigs.Passwords pw = switch (passwords) {
            case "env" -> ConnectorConfigs.Passwords.ENV;
            case "inline" -> ConnectorConfigs.Passwords.INLINE;
            default -> throw new io.citusmigrate.BadInput("--passwords must be env or inline, not " + passwords);
        };
        if (pw == ConnectorConfigs.Passwords.INLINE) {
            err.println("warning: --passwords inline: the Connect cluster's REST API shows them in plain text to anyone who can read"
                    + " GET /connectors/NAME/config; prefer --passwords env");
            err.flush();
        }
        Session s = Session.open(cmd);
        if (!s.plan().ok()) {
            s.plan().errors().forEach(e -> err.println(e));
            err.flush();
            return Main.FAILED;
        }
        // Debezium takes the snapshot on a Connect cluster
        if (io.citusmigrate.live.StreamedTypes.refuse(s.plan(), s.catalog(), true, err, "nothing was deployed")) return Main.FAILED;
        io.citusmigrate.live.LiveSource.refuseKeyless(s.plan());
        List<String> partitioned = s.plan().tables().stream().filter(t -> t.source().isPartitioned()).map(t -> t.source().name().sql()).toList();
        if (!partitioned.isEmpty()) {
            err.println("warning: a TRUNCATE of one partition of " + String.join(", ", partitioned) + " is not carried through Connect (the"
                    + " source publishes it through no table's topic): `citus-migrate verify` after the cutover finds it; `migrate` carries it");
            err.flush();
        }
        Map<String, String> src = ConnectorConfigs.source(cmd, s.plan(), s.catalog(), topicPrefix, slot, publication, "initial", pw);
        src.putAll(ConnectorConfigs.jsonWithSchemas());
        src.put("topic.creation.default.replication.factor", "-1");
        src.put("topic.creation.default.partitions", "1"); // one partition per table keeps its changes in order
        // the cutover's marker becomes a record (topic PREFIX.message, which the sink does not read); the slot's
        // confirmed position passing it is how the cutover knows that everything before it reached Kafka
        src.put("message.prefix.include.list", io.citusmigrate.live.LiveStream.MARKER_PREFIX);
        // Debezium confirms the commit of the last transaction whose end an offset it produced carries: a
        // heartbeat every second carries the marker's, and keeps the slot from holding WAL while tables are idle
        src.put("heartbeat.interval.ms", "1000");
        Map<String, String> snk = ConnectorConfigs.sink(cmd, s.plan(), topicPrefix, sink, pw);
        snk.putAll(ConnectorConfigs.jsonWithSchemas());
        snk.put("consumer.override.auto.offset.reset", "earliest");
        snk.put("tasks.max", String.valueOf(sinkTasks));
        // each table has one partition: the default range assignor would give every topic to the first task
        snk.put("consumer.override.partition.assignment.strategy", "org.apache.kafka.clients.consumer.RoundRobinAssignor");
        snk.putAll(ConnectorConfigs.orphans(cmd, name + "-dlq", dlqReplicationFactor));

        src.put("name", source);
        snk.put("name", sink);
        // every invalid setting, by name, before anything is registered
        List<String> invalid = new ArrayList<>();
        cluster.invalid(src).forEach(i -> invalid.add(source + ": " + i));
        cluster.invalid(snk).forEach(i -> invalid.add(sink + ": " + i));
        if (!invalid.isEmpty()) {
            err.println("the Connect cluster " + connect + " finds these settings invalid; nothing was deployed:");
            invalid.forEach(i -> err.println("  " + i));
            err.flush();
            return Main.FAILED;
        }
        if (dryRun) {
            for (Map.Entry<String, Map<String, String>> c : List.of(Map.entry(source, src), Map.entry(sink, snk))) {
                out.println(c.getKey() + " (validated by the cluster, not registered):");
                new TreeMap<>(c.getValue()).forEach((k, v) -> out.println("  " + k + " = " + (k.endsWith("password") && pw == ConnectorConfigs.Passwords.INLINE
                        ? "(hidden)" : v)));
            }
            out.flush();
            return Main.OK;
        }
        // a redeploy: settings added on the cluster stay, settings changed there are not overwritten silently
        List<String> changed = new ArrayList<>();
        merge(cluster, sink, snk, out, changed);
        merge(cluster, source, src, out, changed);
        if (!changed.isEmpty() && !force) {
            err.println("these settings were changed on the cluster since they were deployed; nothing was redeployed (--force"
                    + " overwrites them):");
            changed.forEach(c -> err.println("  " + c));
            err.flush();
            return Main.FAILED;
        }
        changed.forEach(c -> out.println("overwritten (--force): " + c));
        boolean first = cluster.config(source) == null && cluster.config(sink) == null;
        if (first && !noSchema) {
            out.println("creating the schema on " + cmd.target() + " (foreign keys come at the cutover)");
            out.flush();
            if (slotExists(cmd, slot)) {
                throw new UserError("the source already has the replication slot " + slot + ": a migration is under way or was interrupted."
                        + " Deploy again without creating the schema (--no-schema), or remove it with `citus-migrate cleanup " + file + "`");
            }
            Steps.schemaForStreaming(new Migration(settings, s.catalog(), s.plan(), out, err));
            // a new migration under this sink name: positions an earlier one kept must not skip a change of this one
            try (java.sql.Connection target = io.citusmigrate.db.Databases.target(cmd)) {
                io.citusmigrate.sink.SinkPositions.forget(target, sink);
            } catch (java.sql.SQLException e) {
                throw new UserError("the target database " + cmd.target() + " failed: " + io.citusmigrate.db.Databases.oneLine(e, cmd.target()));
            }
        }
        try (java.sql.Connection target = io.citusmigrate.db.Databases.target(cmd)) {
            io.citusmigrate.live.DeploymentRecord.save(target, slot, connect, name);
        } catch (java.sql.SQLException e) {
            throw new UserError("the target database " + cmd.target() + " failed: " + io.citusmigrate.db.Databases.oneLine(e, cmd.target()));
        }
        cluster.put(sink, snk);
        cluster.put(source, src);
        out.println("deployed " + source + " (Debezium, slot " + slot + ", snapshot then streaming) and " + sink + " to " + connect
                + "; orphan rows: " + cmd.options().string(Option.ON_ORPHAN_ROWS) + (cmd.options().string(Option.ON_ORPHAN_ROWS).equals("skip")
                ? " (to the dead-letter topic " + name + "-dlq)" : " (the sink's task stops naming the row)"));
        out.println("waiting for both connectors' tasks to run ...");
        out.flush();
        long deadline = System.currentTimeMillis() + timeoutSeconds * 1000L;
        boolean said = false;
        while (true) {
            String a = cluster.state(source);
            String b = cluster.state(sink);
            if (a.equals("RUNNING") && b.equals("RUNNING")) {
                if (!said) {
                    out.println(source + ": RUNNING, " + sink + ": RUNNING; waiting for the snapshot's first rows on the target ...");
                    out.flush();
                    said = true;
                }
                if (sinkStarted(cmd, sink)) {
                    out.println("the snapshot is under way: the sink writes into " + cmd.target() + ". `citus-migrate status " + file
                            + " --connect " + connect + "` follows it; `citus-migrate cutover " + file + " --connect " + connect
                            + (name.equals("citus-migrate") ? "" : " --name " + name) + "` ends it");
                    out.flush();
                    return Main.OK;
                }
            }
            if (a.startsWith("FAILED") || b.startsWith("FAILED") || System.currentTimeMillis() > deadline) {
                err.println(source + ": " + a + "\n" + sink + ": " + b);
                if (first) {
                    undo(cmd, cluster, List.of(source, sink), slot, publication, err);
                } else {
                    err.println("the earlier deployment's connectors stay registered: `citus-migrate deploy " + file + " --connect " + connect
                            + " --delete` removes them, then `citus-migrate cleanup " + file + "` the slot and the publication");
                }
                err.flush();
                return Main.FAILED;
            }
            Thread.sleep(500);
        }
    }

    /**
     * A first deploy that failed: both connectors deleted, and the slot and publication the source
     * connector made dropped once it let go of them, so that nothing keeps WAL on the source.
     */
    private void undo(LoadCommand cmd, ConnectCluster cluster, List<String> connectors, String slot, String publication, PrintWriter err)
            throws InterruptedException {
        for (String c : connectors) cluster.deleteWithOffsets(c);
        try (java.sql.Connection source = io.citusmigrate.db.Databases.connect("source", cmd.source());
             java.sql.Connection target = io.citusmigrate.db.Databases.target(cmd)) {
            long deadline = System.currentTimeMillis() + 60_000;
            while (LiveSource.slotReader(source, slot) != null && System.currentTimeMillis() < deadline) Thread.sleep(500);
            LiveSource.drop(source, slot, publication);
            io.citusmigrate.live.DeploymentRecord.forget(target, slot);
            err.println("deploy failed and undone: both connectors deleted, the slot " + slot + " and the publication " + publication
                    + " dropped; nothing of this deployment runs");
        } catch (java.sql.SQLException e) {
            err.println("deploy failed; its connectors are deleted, but the slot could not be dropped (" + io.citusmigrate.db.Databases.oneLine(e, null)
                    + "): `citus-migrate cleanup " + file + "` removes it");
        }
    }

    /** The sink task wrote its first batch, or found nothing to write (an empty source). */
    private static boolean sinkStarted(LoadCommand cmd, String sink) {
        try (java.sql.Connection c = io.citusmigrate.db.Databases.target(cmd)) {
            return io.citusmigrate.sink.SinkPositions.started(c, sink);
        } catch (java.sql.SQLException e) {
            throw new UserError("the target database " + cmd.target() + " failed: " + io.citusmigrate.db.Databases.oneLine(e, cmd.target()));
        }
    }

    private static boolean slotExists(LoadCommand cmd, String slot) {
        try (java.sql.Connection c = io.citusmigrate.db.Databases.connect("source", cmd.source())) {
            return LiveSource.slotExists(c, slot);
        } catch (java.sql.SQLException e) {
            throw new UserError("the source " + cmd.source() + " failed: " + io.citusmigrate.db.Databases.oneLine(e, cmd.source()));
        }
    }

    /**
     * Settings the cluster holds for an existing connector: those we do not set are kept (and
     * said); those we set differently are listed in {@code changed}. Passwords, which the cluster
     * may hold resolved or hidden, are not compared.
     */
    private static void merge(ConnectCluster cluster, String connector, Map<String, String> ours, PrintWriter out, List<String> changed) {
        Map<String, String> theirs = cluster.config(connector);
        if (theirs == null) return;
        for (Map.Entry<String, String> e : theirs.entrySet()) {
            String k = e.getKey();
            if (k.equals("name") || k.endsWith("password")) continue;
            if (!ours.containsKey(k)) {
                ours.put(k, e.getValue());
                out.println("kept from the cluster: " + connector + " " + k + " = " + e.getValue());
            } else if (!ours.get(k).equals(e.getValue())) {
                changed.add(connector + " " + k + ": the cluster has " + e.getValue() + ", the plan gives " + ours.get(k));
            }
        }
    }
}
