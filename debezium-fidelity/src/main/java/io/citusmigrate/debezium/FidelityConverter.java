package io.citusmigrate.debezium;

import io.debezium.spi.converter.CustomConverter;
import io.debezium.spi.converter.RelationalColumn;
import org.apache.kafka.connect.data.SchemaBuilder;

import java.time.LocalDate;
import java.util.Calendar;
import java.util.GregorianCalendar;
import java.util.Properties;

/**
 * A Debezium custom converter for the PostgreSQL source connector, for the values its standard
 * conversion changes before any sink sees them:
 * <ul>
 *   <li>{@code bit varying}: Debezium sends the bits as bytes, so {@code B'0011'} arrives as
 *       {@code 11}. Here the column goes as the bit string's text, exactly.</li>
 *   <li>{@code date} read by the snapshot: JDBC hands Debezium a {@code java.sql.Date} and a BC
 *       date comes out AD. Here the days are counted from the date's own fields, so
 *       {@code 0044-03-15 BC} stays BC. The schema stays {@code io.debezium.time.Date} (days since
 *       1970-01-01), so other consumers read the column as before.</li>
 * </ul>
 * Set it on the source connector: {@code converters=citus}, {@code citus.type=} this class; its
 * jar goes into the Debezium connector's plugin directory (or the embedded engine's classpath).
 *
 * <p>And geometric types, arrays (any dimension, any element type), multiranges and the text-search
 * types go as PostgreSQL's own text ({@link #AS_TEXT}).
 */
public final class FidelityConverter implements CustomConverter<SchemaBuilder, RelationalColumn> {
    static final String DATE = "io.debezium.time.Date";
    /** Debezium's unavailable.value.placeholder default, which the sink recognises. */
    static final String TOAST_PLACEHOLDER = "__debezium_unavailable_value";

    @Override
    public void configure(Properties props) {
        String list = props.getProperty(TEXT_TYPES, "");
        for (String t : list.split(",")) {
            if (!t.isBlank()) textTypes.add(normalize(t));
        }
    }

    /**
     * {@code text.types} (set as {@code citus.text.types} on the connector): more type names to
     * send as PostgreSQL's text, the user-defined ones the plan found (composite types, types
     * of extensions Debezium does not know), which Debezium would send as bytes or structs.
     */
    public static final String TEXT_TYPES = "text.types";
    private final java.util.Set<String> textTypes = new java.util.HashSet<>();

    /** A type name without schema or quotes, lower case: how it is matched against the column's. */
    static String normalize(String typeName) {
        String t = typeName.strip();
        int dot = t.lastIndexOf('.');
        if (dot >= 0 && !t.endsWith("\"")) t = t.substring(dot + 1);
        else if (dot >= 0) t = t.substring(t.lastIndexOf('"', t.length() - 2) + 1);
        return t.replace("\"", "").toLowerCase(java.util.Locale.ROOT);
    }

    @Override
    public void converterFor(RelationalColumn column, ConverterRegistration<SchemaBuilder> registration) {
        String type = column.typeName() == null ? "" : column.typeName().toLowerCase(java.util.Locale.ROOT);
        switch (type) {
            case "varbit", "bit varying" -> registration.register(optional(SchemaBuilder.string(), column), FidelityConverter::bitString);
            case "date" -> registration.register(optional(SchemaBuilder.int32().name(DATE).version(1), column), FidelityConverter::epochDay);
            default -> {
                if (AS_TEXT.contains(type) || type.startsWith("_") || textTypes.contains(normalize(type))) {
                    registration.register(optional(SchemaBuilder.string(), column), FidelityConverter::postgresText);
                }
                // otherwise Debezium's own conversion, which is exact for the type
            }
        }
    }

    /**
     * Types whose value goes as PostgreSQL's own text: Debezium's mapping of them is not exact
     * (geometric types arrive as structs or hex bytes, multiranges and text-search types as
     * bytes), and text is what the sink writes anyway. Arrays (type names starting with '_') go
     * the same way: Debezium flattens a multi-dimensional array into NULLs.
     */
    public static final java.util.Set<String> AS_TEXT = java.util.Set.of("point", "line", "lseg", "box", "path", "polygon", "circle",
            "int4multirange", "int8multirange", "nummultirange", "datemultirange", "tsmultirange", "tstzmultirange",
            "tsvector", "tsquery", "pg_lsn", "txid_snapshot", "pg_snapshot");

    /**
     * A value as PostgreSQL wrote it. Debezium hands over what pgjdbc built from that text: a
     * PGobject (geometric types, the snapshot's unknown types) whose value is PostgreSQL's text
     * again (floats printed exactly), a PgArray whose text is the array literal as received, or
     * the text itself (streaming's unknown types, as a String or its UTF-8 bytes).
     */
    static Object postgresText(Object raw) {
        if (raw == null) return null;
        // Debezium's markers for an unchanged TOASTed value are bare Objects: pass its placeholder on
        if (raw.getClass() == Object.class) return TOAST_PLACEHOLDER;
        if (raw instanceof String s) return s;
        if (raw instanceof org.postgresql.util.PGobject o) return o.getValue();
        if (raw instanceof java.sql.Array a) return a.toString();
        if (raw instanceof byte[] b) return new String(b, java.nio.charset.StandardCharsets.UTF_8);
        if (raw instanceof java.nio.ByteBuffer b) {
            byte[] out = new byte[b.remaining()];
            b.duplicate().get(out);
            return new String(out, java.nio.charset.StandardCharsets.UTF_8);
        }
        throw new IllegalArgumentException("cannot carry a value of " + raw.getClass().getName() + " exactly as PostgreSQL's text");
    }

    private static SchemaBuilder optional(SchemaBuilder b, RelationalColumn column) {
        return column.isOptional() ? b.optional() : b;
    }

    /** A bit string as PostgreSQL writes it: only '0' and '1'. */
    static Object bitString(Object raw) {
        if (raw == null) return null;
        String s = raw instanceof org.postgresql.util.PGobject o ? o.getValue() : raw.toString();
        if (s == null) return null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c != '0' && c != '1') throw new IllegalArgumentException("not a bit string: a value of " + raw.getClass().getName());
        }
        return s;
    }

    /**
     * Days since 1970-01-01 of the date's own era, year, month and day, as pgjdbc set them in a
     * calendar of the default time zone (java.sql.Date's toLocalDate drops the era), counted in
     * the proleptic calendar PostgreSQL uses.
     */
    static Object epochDay(Object raw) {
        if (raw == null) return null;
        if (raw instanceof java.sql.Date d) {
            GregorianCalendar cal = new GregorianCalendar();
            cal.setTime(d);
            int year = cal.get(Calendar.ERA) == GregorianCalendar.BC ? 1 - cal.get(Calendar.YEAR) : cal.get(Calendar.YEAR);
            return Math.toIntExact(LocalDate.of(year, cal.get(Calendar.MONTH) + 1, cal.get(Calendar.DAY_OF_MONTH)).toEpochDay());
        }
        if (raw instanceof LocalDate d) return Math.toIntExact(d.toEpochDay());
        if (raw instanceof Number n) return n.intValue(); // already days
        if (raw instanceof String s) return Math.toIntExact(LocalDate.parse(s).toEpochDay());
        throw new IllegalArgumentException("not a date: a value of " + raw.getClass().getName());
    }
}
