package io.citusmigrate.sink;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/** Counters of the sink: per-table rows by kind, batches, lookups and cache hits, lag. */
public final class SinkMetrics {
    final Map<String, AtomicLong> inserted = new ConcurrentHashMap<>();
    final Map<String, AtomicLong> upserted = new ConcurrentHashMap<>();
    final Map<String, AtomicLong> deleted = new ConcurrentHashMap<>();
    final AtomicLong batches = new AtomicLong();
    final AtomicLong batchRows = new AtomicLong();
    final AtomicLong lookups = new AtomicLong();
    final AtomicLong cacheHits = new AtomicLong();
    final AtomicLong lookupQueries = new AtomicLong();
    final AtomicLong sourceLookups = new AtomicLong();
    final AtomicLong skippedReplays = new AtomicLong();
    final AtomicLong lagMs = new AtomicLong();

    static void add(Map<String, AtomicLong> m, String table, long n) {
        if (n > 0) m.computeIfAbsent(table, k -> new AtomicLong()).addAndGet(n);
    }

    public long lookupQueries() {
        return lookupQueries.get();
    }

    public long lookups() {
        return lookups.get();
    }

    public long cacheHits() {
        return cacheHits.get();
    }

    public long sourceLookups() {
        return sourceLookups.get();
    }

    public long skippedReplays() {
        return skippedReplays.get();
    }

    public long batches() {
        return batches.get();
    }

    @Override
    public String toString() {
        return "batches=" + batches + " rows=" + batchRows + " avgBatch=" + (batches.get() == 0 ? 0 : batchRows.get() / batches.get())
                + " inserted=" + inserted + " upserted=" + upserted + " deleted=" + deleted + " lookups=" + lookups
                + " cacheHits=" + cacheHits + " lookupQueries=" + lookupQueries + " sourceLookups=" + sourceLookups
                + " skippedReplays=" + skippedReplays + " lagMs=" + lagMs;
    }
}
