package io.citusmigrate.sink;

import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.Width;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;

import java.util.Map;

/** The sink's configuration: one ConfigDef shared by connector and task, validators that report. */
public final class CitusSinkConfig extends AbstractConfig {
    public static final String CONNECTION_URL = "connection.url";
    public static final String CONNECTION_USER = "connection.user";
    public static final String CONNECTION_PASSWORD = "connection.password";
    public static final String SOURCE_URL = "source.connection.url";
    public static final String SOURCE_USER = "source.connection.user";
    public static final String SOURCE_PASSWORD = "source.connection.password";
    public static final String TABLES = "citus.tables";
    public static final String SINK_NAME = "sink.name";
    public static final String BATCH_SIZE = "batch.size";
    public static final String CACHE_SIZE = "lookup.cache.size";
    public static final String RETRIES = "enrichment.max.retries";
    public static final String RETRY_BACKOFF = "enrichment.retry.backoff.ms";
    public static final String METRICS_INTERVAL = "metrics.log.interval.ms";
    public static final String FLUSH_INTERVAL = "flush.interval.ms";
    public static final String REJECT_DIRECTORY = "citus.reject.directory";
    public static final String REJECT_SNAPSHOT_ONLY = "citus.reject.snapshot.only";
    public static final String SCHEMA_CHANGES_CARRIER = "citus.schema.changes.carrier";
    public static final String SCHEMA_CHANGES_COMMAND = "citus.schema.changes.command";
    public static final String SCHEMA_CHANGES_FILE = "citus.schema.changes.file";
    public static final String PARENTS_FROM_SOURCE = "citus.parents.from.source";
    public static final String CACHED_WORKER_CONNECTIONS = "citus.cached.connections.per.worker";

    public static final ConfigDef CONFIG_DEF = new ConfigDef()
            .define(CONNECTION_URL, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, new JdbcUrl(), Importance.HIGH,
                    "JDBC URL of the Citus coordinator database, e.g. jdbc:postgresql://coordinator:5432/app", "Target", 1, Width.LONG, "Citus URL")
            .define(CONNECTION_USER, Type.STRING, "postgres", Importance.HIGH, "Target database user", "Target", 2, Width.SHORT, "User")
            .define(CONNECTION_PASSWORD, Type.PASSWORD, null, Importance.HIGH, "Target database password (never logged)", "Target", 3,
                    Width.SHORT, "Password")
            .define(TABLES, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, new TablesJson(), Importance.HIGH,
                    "The plan's table rules as JSON (citus-migrate writes it): target table, tenant key, whether the"
                            + " target added it, its foreign-key hop and source path", "Plan", 1, Width.LONG, "Table rules")
            .define(SINK_NAME, Type.STRING, "citus-sink", Importance.MEDIUM,
                    "Name under which applied positions are kept in citus_migrate.sink_offsets on the target", "Plan", 2, Width.MEDIUM, "Sink name")
            .define(SOURCE_URL, Type.STRING, null, Importance.MEDIUM,
                    "JDBC URL of the source, to find the tenant key of rows whose parent is not on the target yet", "Source", 1,
                    Width.LONG, "Source URL")
            .define(SOURCE_USER, Type.STRING, "postgres", Importance.MEDIUM, "Source database user", "Source", 2, Width.SHORT, "Source user")
            .define(SOURCE_PASSWORD, Type.PASSWORD, null, Importance.MEDIUM, "Source database password (never logged)", "Source", 3,
                    Width.SHORT, "Source password")
            .define(BATCH_SIZE, Type.INT, 50_000, ConfigDef.Range.atLeast(1), Importance.MEDIUM,
                    "Rows buffered before a write (smaller batches are written when the stream is caught up)", "Writes", 1, Width.SHORT, "Batch size")
            .define(CACHE_SIZE, Type.INT, 200_000, ConfigDef.Range.atLeast(1), Importance.LOW,
                    "Tenant keys cached per parent table", "Writes", 2, Width.SHORT, "Lookup cache size")
            .define(RETRIES, Type.INT, 5, ConfigDef.Range.atLeast(0), Importance.LOW,
                    "Times a batch with rows whose tenant key cannot be found is retried before those rows go to errors.tolerance / the DLQ",
                    "Writes", 3, Width.SHORT, "Enrichment retries")
            .define(RETRY_BACKOFF, Type.LONG, 1000L, ConfigDef.Range.atLeast(0), Importance.LOW,
                    "Wait before retrying such a batch", "Writes", 4, Width.SHORT, "Retry backoff")
            .define(FLUSH_INTERVAL, Type.LONG, 1000L, ConfigDef.Range.atLeast(0), Importance.MEDIUM,
                    "Longest wait before buffered rows are written (sooner when batch.size rows are buffered, or the stream is idle)",
                    "Writes", 6, Width.SHORT, "Flush interval")
            .define(REJECT_DIRECTORY, Type.STRING, null, Importance.LOW,
                    "Outside a Connect worker only (citus-migrate's own run): where rows whose tenant key cannot be found go, one CSV"
                            + " file per table, once the retries are spent; unset, such a row stops the task. A worker uses errors.tolerance"
                            + " and the dead-letter queue", "Writes", 7, Width.LONG, "Reject directory")
            .define(REJECT_SNAPSHOT_ONLY, Type.BOOLEAN, false, Importance.LOW,
                    "With citus.reject.directory: only the rows of Debezium's snapshot (op r) go to the reject files; a change"
                            + " streamed after it that cannot be placed stops the task (a live migration's)", "Writes", 8, Width.SHORT,
                    "Reject snapshot rows only")
            .define(SCHEMA_CHANGES_CARRIER, Type.CLASS, null, Importance.MEDIUM,
                    "What carries the source's schema changes (citus-migrate's event trigger messages) to the target; unset, such a"
                            + " change stops the task, naming it", "Plan", 3, Width.LONG, "Schema change carrier")
            .define(SCHEMA_CHANGES_COMMAND, Type.STRING, null, Importance.MEDIUM,
                    "The command file's text without passwords (citus-migrate deploy writes it): the rules a schema change is planned by",
                    "Plan", 4, Width.LONG, "Command file")
            .define(SCHEMA_CHANGES_FILE, Type.STRING, "the command file", Importance.LOW,
                    "The command file's name, as messages about a schema change name it", "Plan", 5, Width.LONG, "Command file name")
            .define(PARENTS_FROM_SOURCE, Type.BOOLEAN, true, Importance.LOW,
                    "A row whose parent is not on the target yet takes its tenant key from the source along the plan's path; off, it waits"
                            + " for its parent (enrichment.max.retries). Off where tables' topics are read in no common order (Connect): the"
                            + " source is ahead, and a tenant key read there may be one the target's copy of the parent never has, so the"
                            + " parent's later moves would not carry the row", "Writes", 9, Width.SHORT, "Parents from the source")
            .define(METRICS_INTERVAL, Type.LONG, 30_000L, ConfigDef.Range.atLeast(1000), Importance.LOW,
                    "How often the counters are logged", "Writes", 5, Width.SHORT, "Metrics log interval")
            .define(CACHED_WORKER_CONNECTIONS, Type.INT, 8, ConfigDef.Range.atLeast(0), Importance.LOW,
                    "Connections to each worker the sink's session keeps open between batches (Citus's citus.max_cached_conns_per_worker,"
                            + " 1 by default): a multi-shard statement opens several, and without them every batch pays new worker"
                            + " backends and their TLS handshakes again. 0 leaves the cluster's setting", "Target", 4, Width.SHORT,
                    "Cached worker connections");

    public CitusSinkConfig(Map<String, String> props) {
        super(CONFIG_DEF, props);
    }

    public Password password() {
        return getPassword(CONNECTION_PASSWORD);
    }

    /** Reports a URL that is not a PostgreSQL JDBC URL through Connect's validate API. */
    static final class JdbcUrl implements ConfigDef.Validator {
        @Override
        public void ensureValid(String name, Object value) {
            if (value == null || !value.toString().startsWith("jdbc:postgresql://")) {
                throw new ConfigException(name, value, "must start with jdbc:postgresql://");
            }
        }

        @Override
        public String toString() {
            return "jdbc:postgresql://host:port/database";
        }
    }

    static final class TablesJson implements ConfigDef.Validator {
        @Override
        public void ensureValid(String name, Object value) {
            if (value == null) return; // reported as missing
            try {
                if (TableRule.parse(value.toString()).isEmpty()) throw new ConfigException(name, value, "names no table");
            } catch (IllegalArgumentException e) {
                throw new ConfigException(name, "(json)", e.getMessage());
            }
        }
    }
}
