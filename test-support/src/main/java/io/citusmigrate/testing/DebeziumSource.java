package io.citusmigrate.testing;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/**
 * Debezium's PostgreSQL connector on an embedded source, as the tests and benchmarks run it:
 * pgoutput, a publication of the tables read, topics named {@code src.SCHEMA.TABLE}.
 */
public final class DebeziumSource {
    private DebeziumSource() {}

    /** The connector reading {@code tables} (Debezium's table.include.list) of database {@code db} through {@code slot}. */
    public static Map<String, String> connector(EmbeddedPg pg, String db, String slot, String tables) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("connector.class", "io.debezium.connector.postgresql.PostgresConnector");
        p.put("database.hostname", "localhost");
        p.put("database.port", String.valueOf(pg.port()));
        p.put("database.user", "postgres");
        p.put("database.password", "postgres");
        p.put("database.dbname", db);
        p.put("topic.prefix", "src");
        p.put("plugin.name", "pgoutput");
        p.put("slot.name", slot);
        p.put("publication.autocreate.mode", "filtered");
        p.put("table.include.list", tables);
        return p;
    }

    /** The same in Debezium's embedded engine: named after the slot, its offsets in a file, the slot dropped when it stops. */
    public static Properties embedded(EmbeddedPg pg, String db, String slot, String tables, Path offsets) {
        Properties p = new Properties();
        p.putAll(connector(pg, db, slot, tables));
        p.setProperty("name", slot);
        p.setProperty("offset.storage", "org.apache.kafka.connect.storage.FileOffsetBackingStore");
        p.setProperty("offset.storage.file.filename", offsets.toString());
        p.setProperty("slot.drop.on.stop", "true");
        return p;
    }
}
