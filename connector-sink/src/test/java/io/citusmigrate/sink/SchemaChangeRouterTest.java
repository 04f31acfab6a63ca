package io.citusmigrate.sink;

import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** A schema change goes into the topic of the table it changes when the sink reads it, else into the sink's fallback topic. */
class SchemaChangeRouterTest {
    private static final Schema MESSAGE = SchemaBuilder.struct().field("prefix", Schema.STRING_SCHEMA).field("content", Schema.BYTES_SCHEMA).build();
    private static final Schema ENVELOPE = SchemaBuilder.struct().field("op", Schema.STRING_SCHEMA).field("message", MESSAGE).build();

    private static SourceRecord message(String prefix, String content) {
        Struct m = new Struct(MESSAGE).put("prefix", prefix).put("content", content.getBytes(StandardCharsets.UTF_8));
        return new SourceRecord(Map.of(), Map.of(), "cm.message", null, null, null, ENVELOPE, new Struct(ENVELOPE).put("op", "m").put("message", m));
    }

    private static String routed(SourceRecord r) {
        SchemaChangeRouter<SourceRecord> router = new SchemaChangeRouter<>();
        router.configure(Map.of(SchemaChangeRouter.TOPICS_REGEX, "cm\\.(public|My_Schema)\\..+", SchemaChangeRouter.FALLBACK, "cm.public.ads"));
        return router.apply(r).topic();
    }

    @Test
    void aChangeGoesIntoItsTablesTopicWhenTheSinkReadsIt() {
        assertEquals("cm.public.ads", routed(message(SchemaChangeMessage.PREFIX,
                "{\"tag\":\"ALTER TABLE\",\"type\":\"table\",\"identity\":\"public.ads\"}")));
        assertEquals("cm.public.ads", routed(message(SchemaChangeMessage.PREFIX,
                "{\"tag\":\"ALTER TABLE\",\"type\":\"table column\",\"identity\":\"public.ads.note\"}")));
        assertEquals("cm.public.ads", routed(message(SchemaChangeMessage.PREFIX,
                "{\"tag\":\"CREATE INDEX\",\"type\":\"index\",\"identity\":\"public.ads_note\",\"table\":\"public.ads\"}")), "an index: its table");
    }

    @Test
    void quotedNamesAreDebeziumsAndTheRestGoIntoTheFallbackTopic() {
        // Debezium's topic names take no space
        assertEquals("cm.My_Schema.Ads.x", routed(message(SchemaChangeMessage.PREFIX,
                "{\"tag\":\"ALTER TABLE\",\"type\":\"table\",\"identity\":\"\\\"My Schema\\\".\\\"Ads.x\\\"\"}")));
        // the sink reads no message topic: one that appears while it runs makes its consumers rebalance
        assertEquals("cm.public.notes", routed(message(SchemaChangeMessage.PREFIX,
                "{\"tag\":\"CREATE TABLE\",\"type\":\"table\",\"identity\":\"public.notes\"}")), "a table created: first in its own topic, before its rows");
        assertEquals("cm.public.ads", routed(message(SchemaChangeMessage.PREFIX,
                "{\"tag\":\"CREATE TABLE\",\"type\":\"table\",\"identity\":\"other.notes\"}")), "a schema the sink does not read");
        assertEquals("cm.public.ads", routed(message(SchemaChangeMessage.PREFIX,
                "{\"tag\":\"DROP INDEX\",\"type\":\"index\",\"identity\":\"public.ads_note\",\"table\":null}")));
        assertEquals("cm.message", routed(message("citus_migrate_cutover", "cutover x")));
        assertNull(SchemaChangeMessage.of(message("citus_migrate_cutover", "cutover x").value()));
    }
}
