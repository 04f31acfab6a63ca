package io.citusmigrate.sink;

import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.Struct;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * A Debezium/Connect value as PostgreSQL's text input for the target column's type: the one
 * representation the sink writes, for COPY and for parameters alike ({@code ?::type}).
 *
 * <p>Fidelity needs these Debezium PostgreSQL source settings (see docs/SINK.md):
 * {@code decimal.handling.mode=string}, {@code time.precision.mode=adaptive_time_microseconds},
 * {@code interval.handling.mode=string}, {@code binary.handling.mode=bytes},
 * {@code hstore.handling.mode=map}, and the converter {@code io.citusmigrate.debezium.FidelityConverter}
 * (module debezium-fidelity) for bit varying and BC dates.
 */
public final class PgText {
    private PgText() {}

    public static final String TOAST_PLACEHOLDER = "__debezium_unavailable_value";

    /** Debezium's placeholder for an unchanged TOASTed value that the event does not carry. */
    public static boolean isUnavailable(Object v) {
        if (v instanceof String s) return s.equals(TOAST_PLACEHOLDER);
        if (v instanceof byte[] b) return new String(b, java.nio.charset.StandardCharsets.UTF_8).equals(TOAST_PLACEHOLDER);
        if (v instanceof ByteBuffer b) return isUnavailable(bytes(b));
        if (v instanceof List<?> l) return l.size() == 1 && isUnavailable(l.get(0));
        return false;
    }

    /**
     * PostgreSQL's text of a value, read back from a database, as the value of an event's field:
     * the field's own text, or bytea's bytes. A field of any other shape cannot take it, and
     * that stops the task rather than write something else.
     */
    static Object asFieldValue(String text, org.apache.kafka.connect.data.Field f) {
        if (text == null) return null;
        return switch (f.schema().type()) {
            case STRING -> text;
            case BYTES -> HexFormat.of().parseHex(text.startsWith("\\x") ? text.substring(2) : text);
            default -> throw new org.apache.kafka.connect.errors.ConnectException("column " + f.name() + " (" + f.schema().type()
                    + " in the event): its unchanged TOASTed value cannot be carried over exactly");
        };
    }

    /** The text of a value (null for SQL NULL). {@code targetType} is format_type of the column. */
    public static String format(Object v, Schema schema, String targetType) {
        if (v == null) return null;
        String name = schema == null ? null : schema.name();
        if (name != null) {
            switch (name) {
                case "io.debezium.time.Date":
                    return date(((Number) v).intValue());
                case "io.debezium.time.Timestamp":
                    return timestamp(((Number) v).longValue() * 1000);
                case "io.debezium.time.MicroTimestamp":
                    return timestamp(((Number) v).longValue());
                case "io.debezium.time.NanoTimestamp":
                    return timestamp(Math.floorDiv(((Number) v).longValue(), 1000));
                case "io.debezium.time.Time":
                    return time(((Number) v).longValue() * 1000);
                case "io.debezium.time.MicroTime":
                    return time(((Number) v).longValue());
                case "io.debezium.time.NanoTime":
                    return time(((Number) v).longValue() / 1000);
                case "io.debezium.time.MicroDuration":
                    return ((Number) v).longValue() + " microseconds";
                case "io.debezium.data.VariableScaleDecimal": {
                    Struct s = (Struct) v;
                    return new BigDecimal(new BigInteger(bytes(s.get("value"))), s.getInt32("scale")).toPlainString();
                }
                case "io.debezium.data.Bits":
                    return bits(v, schema, targetType);
                case "org.apache.kafka.connect.data.Date":
                    return v instanceof java.util.Date d ? LocalDate.ofInstant(d.toInstant(), ZoneOffset.UTC).toString() : v.toString();
                case "org.apache.kafka.connect.data.Timestamp":
                    return v instanceof java.util.Date d ? timestamp(d.getTime() * 1000) : v.toString();
                default:
                    break;
            }
        }
        if (v instanceof BigDecimal d) return d.toPlainString();
        if (v instanceof Boolean b) {
            return targetType != null && targetType.startsWith("bit") ? (b ? "1" : "0") : (b ? "t" : "f");
        }
        if (v instanceof byte[] || v instanceof ByteBuffer) return "\\x" + HexFormat.of().formatHex(bytes(v));
        if (v instanceof List<?> l) return array(l, schema == null ? null : schema.valueSchema(), element(targetType));
        if (v instanceof Map<?, ?> m) return hstore(m);
        if (v instanceof Double d) return d.isNaN() ? "NaN" : d.isInfinite() ? (d > 0 ? "Infinity" : "-Infinity") : d.toString();
        if (v instanceof Float f) return f.isNaN() ? "NaN" : f.isInfinite() ? (f > 0 ? "Infinity" : "-Infinity") : f.toString();
        return v.toString();
    }

    static String date(int days) {
        LocalDate d = LocalDate.ofEpochDay(days);
        return d.getYear() <= 0 ? d.withYear(1 - d.getYear()) + " BC" : d.toString();
    }

    /** Microseconds since the epoch, as PostgreSQL's timestamp input. Debezium's extremes stand for infinity. */
    static String timestamp(long micros) {
        if (micros == Long.MAX_VALUE || micros == 9223372036825200000L) return "infinity";
        if (micros == Long.MIN_VALUE || micros == -9223372036832400000L) return "-infinity";
        Instant i = Instant.EPOCH.plus(Duration.ofSeconds(Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1000));
        LocalDateTime t = LocalDateTime.ofInstant(i, ZoneOffset.UTC);
        String s = t.toLocalDate().getYear() <= 0
                ? t.withYear(1 - t.getYear()).toString().replace('T', ' ') + " BC"
                : t.toString().replace('T', ' ');
        return s;
    }

    static String time(long micros) {
        if (micros >= 86_400_000_000L) return "24:00:00";
        return LocalTime.ofNanoOfDay(micros * 1000).toString();
    }

    private static String bits(Object v, Schema schema, String targetType) {
        if (v instanceof Boolean b) return b ? "1" : "0";
        String bin = new BigInteger(1, bytes(v)).toString(2);
        // Debezium sends the bits without their count: a fixed bit(n) is padded back to n; a
        // bit varying value that began with zeros cannot be told apart (a Debezium limit)
        if (targetType != null && targetType.startsWith("bit varying")) return bin.equals("0") ? "0" : bin;
        String len = schema.parameters() == null ? null : schema.parameters().get("length");
        int n = len == null ? bin.length() : Integer.parseInt(len);
        if (n == Integer.MAX_VALUE || n < bin.length()) return bin;
        return "0".repeat(n - bin.length()) + bin;
    }

    private static String element(String arrayType) {
        return arrayType != null && arrayType.endsWith("[]") ? arrayType.substring(0, arrayType.length() - 2) : null;
    }

    /** A PostgreSQL array literal; elements quoted when they need it. */
    static String array(List<?> l, Schema elementSchema, String elementType) {
        StringBuilder b = new StringBuilder("{");
        for (int i = 0; i < l.size(); i++) {
            if (i > 0) b.append(',');
            Object e = l.get(i);
            if (e == null) {
                b.append("NULL");
                continue;
            }
            String s = format(e, elementSchema, elementType);
            if (e instanceof List<?>) {
                b.append(s);
            } else {
                b.append('"').append(s.replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
            }
        }
        return b.append('}').toString();
    }

    /** hstore text: "k"=>"v", NULL values unquoted. */
    static String hstore(Map<?, ?> m) {
        StringBuilder b = new StringBuilder();
        for (Map.Entry<?, ?> e : m.entrySet()) {
            if (b.length() > 0) b.append(", ");
            b.append('"').append(escapeHstore(String.valueOf(e.getKey()))).append("\"=>");
            b.append(e.getValue() == null ? "NULL" : '"' + escapeHstore(String.valueOf(e.getValue())) + '"');
        }
        return b.toString();
    }

    private static String escapeHstore(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"");
    }

    static byte[] bytes(Object v) {
        if (v instanceof byte[] b) return b;
        ByteBuffer bb = ((ByteBuffer) v).duplicate();
        byte[] out = new byte[bb.remaining()];
        bb.get(out);
        return out;
    }

    /** Escapes a text value for COPY's text format; null is \N. */
    public static void appendCopy(StringBuilder b, String s) {
        if (s == null) {
            b.append("\\N");
            return;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\\' -> b.append("\\\\");
                case '\t' -> b.append("\\t");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                default -> b.append(c);
            }
        }
    }
}
