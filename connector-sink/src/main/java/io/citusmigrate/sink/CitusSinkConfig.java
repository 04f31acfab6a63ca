package io.citusmigrate.sink;

import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.types.Password;

import java.util.Map;

/** The sink's configuration: one ConfigDef shared by connector and task. */
public final class CitusSinkConfig extends AbstractConfig {
    public static final String CONNECTION_URL = "connection.url";
    public static final String CONNECTION_USER = "connection.user";
    public static final String CONNECTION_PASSWORD = "connection.password";
    public static final String BATCH_SIZE = "batch.size";

    public static final ConfigDef CONFIG_DEF = new ConfigDef()
            .define(CONNECTION_URL, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, new JdbcUrl(), Importance.HIGH,
                    "JDBC URL of the Citus coordinator database, e.g. jdbc:postgresql://coordinator:5432/app", "Connection", 1,
                    ConfigDef.Width.LONG, "Citus URL")
            .define(CONNECTION_USER, Type.STRING, "postgres", Importance.HIGH, "Database user", "Connection", 2,
                    ConfigDef.Width.SHORT, "User")
            .define(CONNECTION_PASSWORD, Type.PASSWORD, null, Importance.HIGH, "Database password (never logged)", "Connection", 3,
                    ConfigDef.Width.SHORT, "Password")
            .define(BATCH_SIZE, Type.INT, 5000, ConfigDef.Range.atLeast(1), Importance.MEDIUM,
                    "Rows per COPY batch", "Writes", 1, ConfigDef.Width.SHORT, "Batch size");

    public CitusSinkConfig(Map<String, String> props) {
        super(CONFIG_DEF, props);
    }

    public String url() {
        return getString(CONNECTION_URL);
    }

    public Password password() {
        return getPassword(CONNECTION_PASSWORD);
    }

    /** Reports a URL that is not a PostgreSQL JDBC URL through Connect's validate API. */
    static final class JdbcUrl implements ConfigDef.Validator {
        @Override
        public void ensureValid(String name, Object value) {
            if (value == null || !value.toString().startsWith("jdbc:postgresql://")) {
                throw new org.apache.kafka.common.config.ConfigException(name, value, "must start with jdbc:postgresql://");
            }
        }

        @Override
        public String toString() {
            return "jdbc:postgresql://host:port/database";
        }
    }
}
