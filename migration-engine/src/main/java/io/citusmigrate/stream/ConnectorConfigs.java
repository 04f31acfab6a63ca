package io.citusmigrate.stream;

import io.citusmigrate.load.LoadCommand;
import io.citusmigrate.plan.Plan;
import io.citusmigrate.plan.TablePlan;
import io.citusmigrate.sink.SourceSettings;
import io.citusmigrate.sink.TableRule;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The connector configs of a migration, in one place: Debezium's PostgreSQL source with the
 * settings the sink needs for type fidelity, and the Citus sink. Used by the in-process live
 * migration, `sink-config` and `deploy`.
 */
public final class ConnectorConfigs {
    /** How passwords go into a config: as references the worker resolves, or as they are. */
    public enum Passwords { ENV, INLINE }

    public static final String SOURCE_PASSWORD_ENV = "CITUS_MIGRATE_SOURCE_PASSWORD";
    public static final String TARGET_PASSWORD_ENV = "CITUS_MIGRATE_TARGET_PASSWORD";

    private ConnectorConfigs() {}

    /** Debezium's PostgreSQL connector on the plan's tables, streaming from {@code slot} through {@code publication}. */
    public static Map<String, String> source(LoadCommand cmd, Plan plan, io.citusmigrate.catalog.Catalog catalog, String topicPrefix,
                                             String slot, String publication, String snapshotMode, Passwords passwords) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("connector.class", "io.debezium.connector.postgresql.PostgresConnector");
        p.put("tasks.max", "1");
        p.put("database.hostname", cmd.source().host());
        p.put("database.port", String.valueOf(cmd.source().port()));
        p.put("database.user", cmd.source().user());
        password(p, "database.password", cmd.source().password(), SOURCE_PASSWORD_ENV, passwords);
        p.put("database.dbname", cmd.source().database());
        p.put("topic.prefix", topicPrefix);
        p.put("plugin.name", "pgoutput");
        p.put("slot.name", slot);
        // each stream's metrics under a name of its own: several streams in one process (tenant databases) would wait on each other's
        p.put("custom.metric.tags", "slot=" + slot);
        p.put("publication.name", publication);
        p.put("publication.autocreate.mode", "filtered");
        // a partition's rows come as its root's (the plan streams roots); Debezium's own publication publishes them so too
        p.put("publish.via.partition.root", "true");
        p.put("snapshot.mode", snapshotMode);
        // Debezium skips TRUNCATE events by default; the sink must empty the target table too
        p.put("skipped.operations", "none");
        p.put("table.include.list", streamed(plan).stream()
                .map(t -> Pattern.quote(t.source().name().schema() + "." + t.source().name().name())).collect(Collectors.joining(",")));
        p.putAll(SourceSettings.forFidelity(StreamedTypes.textTypes(plan, catalog)));
        return p;
    }

    /** The Citus sink for the plan's topics under {@code topicPrefix}. */
    public static Map<String, String> sink(LoadCommand cmd, Plan plan, String topicPrefix, String sinkName, Passwords passwords) {
        Map<String, String> c = new LinkedHashMap<>();
        c.put("connector.class", "io.citusmigrate.sink.CitusSinkConnector");
        c.put("tasks.max", "1");
        c.put("topics", streamed(plan).stream().map(t -> topicPrefix + "." + t.source().name().schema() + "." + t.source().name().name())
                .collect(Collectors.joining(",")));
        c.put("connection.url", cmd.target().jdbcUrl());
        c.put("connection.user", cmd.target().user());
        password(c, "connection.password", cmd.target().password(), TARGET_PASSWORD_ENV, passwords);
        c.put("source.connection.url", cmd.source().jdbcUrl());
        c.put("source.connection.user", cmd.source().user());
        password(c, "source.connection.password", cmd.source().password(), SOURCE_PASSWORD_ENV, passwords);
        c.put("sink.name", sinkName);
        c.put("citus.tables", io.citusmigrate.plan.StreamRules.json(plan));
        // Debezium's snapshot (`snapshot only`, or before a live stream): its orphans go to reject files as the bulk COPY's
        // do. A live stream keeps stopping on a change it cannot place after the snapshot (a later change may place the
        // row), as after the bulk COPY; a Connect worker uses its dead-letter queue.
        boolean snapshotOnly = cmd.options().flag(io.citusmigrate.load.Option.SNAPSHOT_ONLY);
        if ("skip".equals(cmd.options().string(io.citusmigrate.load.Option.ON_ORPHAN_ROWS))
                && (snapshotOnly || "debezium".equals(cmd.options().string(io.citusmigrate.load.Option.SNAPSHOT_METHOD)))) {
            c.put("citus.reject.directory", rejectDirectory(cmd).toString());
            if (!snapshotOnly) c.put("citus.reject.snapshot.only", "true");
        }
        return c;
    }

    /**
     * The sink's topics on Connect as a pattern ({@code topics.regex}): every table of the schemas
     * the plan takes tables from, so that the topic of a table created while streaming is read too.
     */
    public static String topicsRegex(Plan plan, String topicPrefix) {
        return escaped(topicPrefix + ".") + streamed(plan).stream().map(t -> escaped(t.source().name().schema().replaceAll("[^A-Za-z0-9._-]", "_") + "."))
                .distinct().sorted().collect(Collectors.joining("|", "(", ")")) + ".+";
    }

    /** Debezium's table filter by schema: a table created while streaming gets through it (the publication says which stream). */
    public static String schemasIncludeList(Plan plan) {
        return streamed(plan).stream().map(t -> t.source().name().schema()).distinct()
                .map(s -> Pattern.quote(s) + "\\..*").collect(Collectors.joining(","));
    }

    private static String escaped(String topicPart) {
        return topicPart.replaceAll("[^A-Za-z0-9_-]", "\\\\$0");
    }

    /** Where `on orphan rows skip` writes the reject files. */
    public static java.nio.file.Path rejectDirectory(LoadCommand cmd) {
        String d = cmd.options().string(io.citusmigrate.load.Option.REJECT_DIRECTORY);
        return java.nio.file.Path.of(d == null ? "rejects" : d);
    }

    /**
     * The command file's orphan policy on a Connect cluster: with `on orphan rows skip`, a row the
     * sink cannot place goes to the dead-letter topic (with headers saying why) and Connect counts
     * it; with `stop`, the sink's task fails naming the row.
     */
    public static Map<String, String> orphans(LoadCommand cmd, String deadLetterTopic, int replicationFactor) {
        Map<String, String> c = new LinkedHashMap<>();
        if ("skip".equals(cmd.options().string(io.citusmigrate.load.Option.ON_ORPHAN_ROWS))) {
            c.put("errors.tolerance", "all");
            c.put("errors.deadletterqueue.topic.name", deadLetterTopic);
            c.put("errors.deadletterqueue.topic.replication.factor", String.valueOf(replicationFactor));
            c.put("errors.deadletterqueue.context.headers.enable", "true");
            c.put("errors.log.enable", "true");
        } else {
            c.put("errors.tolerance", "none");
        }
        return c;
    }

    /** Events travel through Kafka as JSON with their schemas, so the sink gets Debezium's logical types. */
    public static Map<String, String> jsonWithSchemas() {
        Map<String, String> c = new LinkedHashMap<>();
        c.put("key.converter", "org.apache.kafka.connect.json.JsonConverter");
        c.put("key.converter.schemas.enable", "true");
        c.put("value.converter", "org.apache.kafka.connect.json.JsonConverter");
        c.put("value.converter.schemas.enable", "true");
        return c;
    }

    private static void password(Map<String, String> c, String key, String value, String env, Passwords passwords) {
        if (passwords == Passwords.ENV) c.put(key, "${env:" + env + "}");
        else if (value != null) c.put(key, value);
    }

    /**
     * Tables whose rows stream: partitions come through their root (publish_via_partition_root);
     * UNLOGGED tables never reach the WAL, the cutover copies them again ({@link UnloggedTables});
     * consolidated tenant schemas each stream their own tables.
     */
    public static java.util.List<TablePlan> streamed(Plan plan) {
        return plan.sourceTables().stream().filter(t -> !t.isPartition() && !t.source().unlogged()).toList();
    }
}
