package io.citusmigrate.sink;

import java.util.LinkedHashMap;
import java.util.Map;

/** A bounded least-recently-used map, for the tenant-key caches. */
final class Lru<K, V> extends LinkedHashMap<K, V> {
    private final int max;

    Lru(int max) {
        super(Math.min(max, 1024), 0.75f, true);
        this.max = max;
    }

    @Override
    protected boolean removeEldestEntry(Map.Entry<K, V> eldest) {
        return size() > max;
    }
}
