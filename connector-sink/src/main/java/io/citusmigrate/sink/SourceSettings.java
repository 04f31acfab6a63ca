package io.citusmigrate.sink;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The Debezium PostgreSQL source settings this sink needs to write every value as the source
 * holds it (docs/SINK.md: Debezium source settings). {@link PgText} reads events made with them.
 */
public final class SourceSettings {
    private SourceSettings() {}

    /** With {@code textTypes}: user-defined types the converter sends as PostgreSQL's text (see FidelityConverter). */
    public static Map<String, String> forFidelity(java.util.Collection<String> textTypes) {
        Map<String, String> p = forFidelity();
        if (!textTypes.isEmpty()) p.put("citus.text.types", String.join(",", textTypes));
        return p;
    }

    public static Map<String, String> forFidelity() {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("decimal.handling.mode", "string");                   // numeric NaN, any precision
        p.put("time.precision.mode", "adaptive_time_microseconds");
        p.put("interval.handling.mode", "string");
        p.put("binary.handling.mode", "bytes");
        p.put("hstore.handling.mode", "map");
        p.put("include.unknown.datatypes", "true");
        // bit varying's leading zeros and BC dates read by the snapshot (module debezium-fidelity)
        p.put("converters", "citus");
        p.put("citus.type", "io.citusmigrate.debezium.FidelityConverter");
        return p;
    }
}
