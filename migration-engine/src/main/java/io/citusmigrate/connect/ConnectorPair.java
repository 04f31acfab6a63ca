package io.citusmigrate.connect;

import io.citusmigrate.catalog.Catalog;
import io.citusmigrate.stream.ConnectorConfigs;
import io.citusmigrate.stream.LiveStream;
import io.citusmigrate.load.LoadCommand;
import io.citusmigrate.plan.Plan;
import io.citusmigrate.steps.MigrationSettings;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The two connectors `deploy` registers for a plan, NAME-source (Debezium) and NAME-sink (the
 * Citus sink), with their configs; the maps are the ones a redeploy merges into.
 */
public record ConnectorPair(String source, String sink, Map<String, String> sourceConfig, Map<String, String> sinkConfig) {

    /** NAME-source and NAME-sink, as deploy names them. */
    public static List<String> names(String prefix) {
        return List.of(prefix + "-source", prefix + "-sink");
    }

    public static ConnectorPair of(MigrationSettings settings, Catalog catalog, Plan plan, DeployRequest r) {
        LoadCommand cmd = settings.command();
        String source = names(r.name()).get(0);
        String sink = names(r.name()).get(1);
        Map<String, String> src = ConnectorConfigs.source(cmd, plan, catalog, r.topicPrefix(), settings.slot(), settings.publication(),
                "initial", r.passwords());
        src.putAll(ConnectorConfigs.jsonWithSchemas());
        src.put("topic.creation.default.replication.factor", "-1");
        src.put("topic.creation.default.partitions", "1"); // one partition per table keeps its changes in order
        // the cutover's marker becomes a record (topic PREFIX.message, which the sink does not read); the slot's
        // confirmed position passing it is how the cutover knows that everything before it reached Kafka
        src.put("message.prefix.include.list", LiveStream.MARKER_PREFIX + "," + io.citusmigrate.stream.PartitionTruncates.PREFIX + ","
                + io.citusmigrate.sink.SchemaChangeMessage.PREFIX);
        // deploy makes the publication before Debezium's slot (ConnectDeploy), and the capture's event trigger adds a table created
        // while streaming to it in the transaction that creates it; Debezium's filter takes the plan's schemas so that the new
        // table's rows get through it, and its snapshot the plan's tables
        src.put("publication.autocreate.mode", "disabled");
        src.put("snapshot.include.collection.list", src.get("table.include.list"));
        src.put("table.include.list", ConnectorConfigs.schemasIncludeList(plan));
        Map<String, String> snk = ConnectorConfigs.sink(cmd, plan, r.topicPrefix(), sink, r.passwords());
        // the sink reads the plan's schemas' topics, a new table's among them once it appears (the consumers look for new
        // topics every few seconds, not every five minutes)
        String fallback = snk.remove("topics").split(",")[0];
        snk.put("topics.regex", ConnectorConfigs.topicsRegex(plan, r.topicPrefix()));
        snk.put("consumer.override.metadata.max.age.ms", "3000");
        // a partition's TRUNCATE (a message, see PartitionTruncates) goes into its root's topic, in its place among the root's
        // rows; a schema change (see SchemaCapture) into its table's topic, in its place among the table's rows
        src.put("transforms", "partitionTruncates,schemaChanges");
        src.put("transforms.partitionTruncates.type", io.citusmigrate.sink.PartitionTruncateRouter.class.getName());
        src.put("transforms.schemaChanges.type", io.citusmigrate.sink.SchemaChangeRouter.class.getName());
        src.put("transforms.schemaChanges." + io.citusmigrate.sink.SchemaChangeRouter.TOPICS_REGEX, snk.get("topics.regex"));
        src.put("transforms.schemaChanges." + io.citusmigrate.sink.SchemaChangeRouter.FALLBACK, fallback);
        // Debezium confirms the commit of the last transaction whose end an offset it produced carries: a
        // heartbeat every second carries the marker's, and keeps the slot from holding WAL while tables are idle
        src.put("heartbeat.interval.ms", "1000");
        // the sink carries the schema changes by the command file, which it gets without passwords (it has its own)
        snk.put(io.citusmigrate.sink.CitusSinkConfig.SCHEMA_CHANGES_CARRIER, io.citusmigrate.stream.ConnectSchemaChanges.class.getName());
        snk.put(io.citusmigrate.sink.CitusSinkConfig.SCHEMA_CHANGES_COMMAND,
                io.citusmigrate.load.LoadFileParser.textWithoutPasswords(settings.file(), System::getenv));
        snk.put(io.citusmigrate.sink.CitusSinkConfig.SCHEMA_CHANGES_FILE, settings.file().toString());
        snk.putAll(ConnectorConfigs.jsonWithSchemas());
        // each table's topic is read at its own pace: a row whose parent has not arrived waits for it (up to two minutes) rather
        // than take the source's tenant key, which the target's copy of the parent may never have (rows left behind by its moves:
        // seen on real Citus at 1,000 transactions/s with tenant moves, benchmark/RESULTS.md)
        snk.put(io.citusmigrate.sink.CitusSinkConfig.PARENTS_FROM_SOURCE, "false");
        snk.put(io.citusmigrate.sink.CitusSinkConfig.RETRIES, "120");
        snk.put("consumer.override.auto.offset.reset", "earliest");
        snk.put("tasks.max", String.valueOf(r.sinkTasks()));
        // each table has one partition: the default range assignor would give every topic to the first task
        snk.put("consumer.override.partition.assignment.strategy", "org.apache.kafka.clients.consumer.RoundRobinAssignor");
        snk.putAll(ConnectorConfigs.orphans(cmd, r.name() + "-dlq", r.dlqReplicationFactor()));
        src.put("name", source);
        snk.put("name", sink);
        return new ConnectorPair(source, sink, src, snk);
    }

    /** Every setting the cluster's plugins find invalid, by connector and name. */
    public List<String> invalid(ConnectCluster cluster) {
        List<String> invalid = new ArrayList<>();
        cluster.invalid(sourceConfig).forEach(i -> invalid.add(source + ": " + i));
        cluster.invalid(sinkConfig).forEach(i -> invalid.add(sink + ": " + i));
        return invalid;
    }

    /** Both configs, sorted, passwords given inline hidden. */
    public void print(PrintWriter out, ConnectorConfigs.Passwords pw) {
        for (Map.Entry<String, Map<String, String>> c : List.of(Map.entry(source, sourceConfig), Map.entry(sink, sinkConfig))) {
            out.println(c.getKey() + " (validated by the cluster, not registered):");
            new TreeMap<>(c.getValue()).forEach((k, v) -> out.println("  " + k + " = " + (k.endsWith("password") && pw == ConnectorConfigs.Passwords.INLINE
                    ? "(hidden)" : v)));
        }
        out.flush();
    }

    /** A redeploy: settings added on the cluster stay (and are said); those changed there are returned. */
    public List<String> merge(ConnectCluster cluster, PrintWriter out) {
        List<String> changed = new ArrayList<>();
        merge(cluster, sink, sinkConfig, out, changed);
        merge(cluster, source, sourceConfig, out, changed);
        return changed;
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
