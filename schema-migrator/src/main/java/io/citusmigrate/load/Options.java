package io.citusmigrate.load;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;

/** The WITH options of a command file, with the defaults pgloader uses for a PostgreSQL source. */
public final class Options {
    private final Map<Option, Object> values;

    Options(Map<Option, Object> given) {
        this.values = Collections.unmodifiableMap(given.isEmpty() ? new EnumMap<>(Option.class) : new EnumMap<>(given));
    }

    public static Options defaults() {
        return new Options(Map.of());
    }

    public boolean isSet(Option o) {
        return values.containsKey(o);
    }

    public Object get(Option o) {
        return values.getOrDefault(o, o.defaultValue);
    }

    public boolean flag(Option o) {
        return Boolean.TRUE.equals(get(o));
    }

    public int integer(Option o) {
        return ((Number) get(o)).intValue();
    }

    public long bytes(Option o) {
        return ((Number) get(o)).longValue();
    }

    public String string(Option o) {
        Object v = get(o);
        return v == null ? null : v.toString();
    }

    /** A copy with one option changed, as a command-line flag does. */
    public Options with(Option o, Object value) {
        EnumMap<Option, Object> m = new EnumMap<>(Option.class);
        m.putAll(values);
        m.put(o, value);
        return new Options(m);
    }

    public Map<Option, Object> given() {
        return values;
    }
}
