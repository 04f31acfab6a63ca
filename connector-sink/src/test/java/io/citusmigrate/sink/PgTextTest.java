package io.citusmigrate.sink;

import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each Debezium value shape to PostgreSQL input text. */
class PgTextTest {
    private static Schema named(Schema.Type type, String name) {
        return new SchemaBuilder(type).name(name).build();
    }

    @Test
    void datesTimesAndTimestamps() {
        assertEquals("2024-02-29", PgText.format(19782, named(Schema.Type.INT32, "io.debezium.time.Date"), "date"));
        assertEquals("0044-03-15 BC", PgText.date((int) java.time.LocalDate.of(-43, 3, 15).toEpochDay()));
        assertEquals("2024-02-29 13:14:15.123456", PgText.format(1709212455123456L, named(Schema.Type.INT64, "io.debezium.time.MicroTimestamp"), "timestamp without time zone"));
        assertEquals("2024-02-29 13:14:15.123", PgText.format(1709212455123L, named(Schema.Type.INT64, "io.debezium.time.Timestamp"), null));
        assertEquals("infinity", PgText.timestamp(Long.MAX_VALUE));
        assertEquals("-infinity", PgText.timestamp(Long.MIN_VALUE));
        assertEquals("13:14:15.123456", PgText.format(47655123456L, named(Schema.Type.INT64, "io.debezium.time.MicroTime"), "time"));
        assertEquals("00:00", PgText.format(0L, named(Schema.Type.INT64, "io.debezium.time.MicroTime"), "time"));
        assertEquals("24:00:00", PgText.time(86_400_000_000L));
        // ZonedTimestamp, ZonedTime and Interval (string mode) arrive as ISO text PostgreSQL reads as is
        assertEquals("2024-02-29T11:14:15.654321Z", PgText.format("2024-02-29T11:14:15.654321Z", named(Schema.Type.STRING, "io.debezium.time.ZonedTimestamp"), null));
        assertEquals("P1Y2M3DT4H5M6.789S", PgText.format("P1Y2M3DT4H5M6.789S", named(Schema.Type.STRING, "io.debezium.time.Interval"), "interval"));
    }

    @Test
    void numbers() {
        assertEquals("12345.6789", PgText.format(new BigDecimal("12345.6789"), Schema.BYTES_SCHEMA, "numeric"));
        assertEquals("100000000000000000000", PgText.format(new BigDecimal("1E+20"), Schema.BYTES_SCHEMA, "numeric"), "no exponent");
        Schema vsd = SchemaBuilder.struct().name("io.debezium.data.VariableScaleDecimal")
                .field("scale", Schema.INT32_SCHEMA).field("value", Schema.BYTES_SCHEMA).build();
        Struct v = new Struct(vsd).put("scale", 3).put("value", BigInteger.valueOf(-12345).toByteArray());
        assertEquals("-12.345", PgText.format(v, vsd, "numeric"));
        assertEquals("NaN", PgText.format(Double.NaN, Schema.FLOAT64_SCHEMA, "double precision"));
        assertEquals("-Infinity", PgText.format(Float.NEGATIVE_INFINITY, Schema.FLOAT32_SCHEMA, "real"));
        assertEquals("NaN", PgText.format("NaN", Schema.STRING_SCHEMA, "numeric"), "decimal.handling.mode=string keeps NaN");
    }

    @Test
    void bitsBooleansBytes() {
        Schema bits5 = new SchemaBuilder(Schema.Type.BYTES).name("io.debezium.data.Bits").parameter("length", "5").build();
        assertEquals("00110", PgText.format(new byte[] {6}, bits5, "bit(5)"));
        assertEquals("110", PgText.format(new byte[] {6}, bits5, "bit varying(5)"));
        assertEquals("1", PgText.format(true, Schema.BOOLEAN_SCHEMA, "bit(1)"));
        assertEquals("t", PgText.format(true, Schema.BOOLEAN_SCHEMA, "boolean"));
        assertEquals("\\x00ff10", PgText.format(new byte[] {0, -1, 16}, Schema.BYTES_SCHEMA, "bytea"));
        assertEquals("\\x", PgText.format(java.nio.ByteBuffer.wrap(new byte[0]), Schema.BYTES_SCHEMA, "bytea"));
    }

    @Test
    void arraysAndHstore() {
        Schema texts = SchemaBuilder.array(Schema.OPTIONAL_STRING_SCHEMA).build();
        assertEquals("{\"plain\",\"with space\",\"quote\\\"d\",\"back\\\\slash\",\"\",NULL}",
                PgText.format(Arrays.asList("plain", "with space", "quote\"d", "back\\slash", "", null), texts, "text[]"));
        assertEquals("{}", PgText.format(List.of(), texts, "text[]"));
        Schema nested = SchemaBuilder.array(SchemaBuilder.array(Schema.INT32_SCHEMA).build()).build();
        assertEquals("{{\"1\",\"2\"},{\"3\",\"4\"}}", PgText.format(List.of(List.of(1, 2), List.of(3, 4)), nested, "integer[]"));
        Map<String, String> h = new LinkedHashMap<>();
        h.put("a", "1");
        h.put("b c", "d\"e");
        h.put("f", null);
        assertEquals("\"a\"=>\"1\", \"b c\"=>\"d\\\"e\", \"f\"=>NULL", PgText.format(h, SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.OPTIONAL_STRING_SCHEMA).build(), "hstore"));
    }

    @Test
    void copyEscapingAndNull() {
        StringBuilder b = new StringBuilder();
        PgText.appendCopy(b, "tab\there\nnew\\line\r");
        assertEquals("tab\\there\\nnew\\\\line\\r", b.toString());
        b.setLength(0);
        PgText.appendCopy(b, null);
        assertEquals("\\N", b.toString());
        assertNull(PgText.format(null, Schema.OPTIONAL_STRING_SCHEMA, "text"));
    }

    @Test
    void theUnchangedToastPlaceholderIsRecognised() {
        assertTrue(PgText.isUnavailable("__debezium_unavailable_value"));
        assertTrue(PgText.isUnavailable("__debezium_unavailable_value".getBytes()));
        assertTrue(PgText.isUnavailable(List.of("__debezium_unavailable_value")));
        assertFalse(PgText.isUnavailable("a real value"));
    }
}
