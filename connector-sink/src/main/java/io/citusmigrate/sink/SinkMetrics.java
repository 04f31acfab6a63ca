package io.citusmigrate.sink;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/** Counters of the sink: per-table rows by kind, batches, lookups and cache hits, lag. */
public final class SinkMetrics {
    final Map<String, AtomicLong> inserted = new ConcurrentHashMap<>();
    final Map<String, AtomicLong> upserted = new ConcurrentHashMap<>();
    final Map<String, AtomicLong> deleted = new ConcurrentHashMap<>();
    /** TRUNCATEs carried to the target, per source table. */
    final Map<String, AtomicLong> truncated = new ConcurrentHashMap<>();
    final AtomicLong batches = new AtomicLong();
    final AtomicLong batchRows = new AtomicLong();
    final AtomicLong lookups = new AtomicLong();
    final AtomicLong cacheHits = new AtomicLong();
    final AtomicLong lookupQueries = new AtomicLong();
    final AtomicLong sourceLookups = new AtomicLong();
    final AtomicLong skippedReplays = new AtomicLong();
    final AtomicLong lagMs = new AtomicLong();
    /** Statements that moved descendants of rows changing tenant (two per table below, per move). */
    final AtomicLong moveStatements = new AtomicLong();
    /** Where a batch's time goes (nanoseconds): finding tenants, repairing values, writing rows, moving subtrees, committing. */
    final AtomicLong placeNanos = new AtomicLong();
    final AtomicLong repairNanos = new AtomicLong();
    final AtomicLong writeNanos = new AtomicLong();
    final AtomicLong moveNanos = new AtomicLong();
    final AtomicLong commitNanos = new AtomicLong();
    /** Statements by kind: how many, and their nanoseconds (round trips per batch). */
    final Map<String, long[]> statements = new java.util.concurrent.ConcurrentSkipListMap<>();

    void timed(String kind, long startNanos) {
        long[] v = statements.computeIfAbsent(kind, k -> new long[2]);
        synchronized (v) {
            v[0]++;
            v[1] += System.nanoTime() - startNanos;
        }
    }

    /** Exposes the counters through Connect's plugin metrics (and so JMX). */
    void register(org.apache.kafka.common.metrics.PluginMetrics pm, java.util.Collection<String> tables) {
        gauge(pm, "batches", "batches written", new java.util.LinkedHashMap<>(), batches);
        gauge(pm, "batch-rows", "rows written in batches", new java.util.LinkedHashMap<>(), batchRows);
        gauge(pm, "lookups", "tenant-key lookups asked for", new java.util.LinkedHashMap<>(), lookups);
        gauge(pm, "lookup-cache-hits", "tenant-key lookups answered by the cache", new java.util.LinkedHashMap<>(), cacheHits);
        gauge(pm, "lookup-queries", "lookup queries sent (one per batch per parent table)", new java.util.LinkedHashMap<>(), lookupQueries);
        gauge(pm, "source-lookups", "lookup queries sent to the source", new java.util.LinkedHashMap<>(), sourceLookups);
        gauge(pm, "skipped-replays", "events skipped because the target already holds them", new java.util.LinkedHashMap<>(), skippedReplays);
        gauge(pm, "lag-ms", "age of the last event written", new java.util.LinkedHashMap<>(), lagMs);
        gauge(pm, "move-statements", "statements that moved descendants of rows changing tenant", new java.util.LinkedHashMap<>(), moveStatements);
        for (String t : tables) {
            java.util.LinkedHashMap<String, String> tag = new java.util.LinkedHashMap<>();
            tag.put("table", t);
            gauge(pm, "rows-inserted", "rows inserted", tag, inserted.computeIfAbsent(t, k -> new AtomicLong()));
            gauge(pm, "rows-upserted", "rows updated", tag, upserted.computeIfAbsent(t, k -> new AtomicLong()));
            gauge(pm, "rows-deleted", "rows deleted", tag, deleted.computeIfAbsent(t, k -> new AtomicLong()));
            gauge(pm, "truncates", "TRUNCATEs carried to the target", tag, truncated.computeIfAbsent(t, k -> new AtomicLong()));
        }
    }

    private final java.util.List<org.apache.kafka.common.MetricName> registered = new java.util.ArrayList<>();
    private org.apache.kafka.common.metrics.PluginMetrics pluginMetrics;

    private void gauge(org.apache.kafka.common.metrics.PluginMetrics pm, String name, String doc,
                       java.util.LinkedHashMap<String, String> tags, AtomicLong v) {
        pluginMetrics = pm;
        org.apache.kafka.common.MetricName n = pm.metricName(name, doc, tags);
        try {
            pm.addMetric(n, (org.apache.kafka.common.metrics.Measurable) (config, now) -> v.get());
            registered.add(n);
        } catch (IllegalArgumentException e) {
            // a task restarted (a redeploy) while its predecessor's metrics were still registered: the metric is
            // missing from JMX this time, the rows are written all the same
            org.slf4j.LoggerFactory.getLogger(SinkMetrics.class).info("metric {} is registered already; not registering it again", n.name());
        }
    }

    /** When the task stops: its metrics go with it, so that the next task of the same id can register them. */
    void unregister() {
        if (pluginMetrics == null) return;
        for (org.apache.kafka.common.MetricName n : registered) {
            try {
                pluginMetrics.removeMetric(n);
            } catch (RuntimeException e) {
                // the worker closes them too
            }
        }
        registered.clear();
    }

    static void add(Map<String, AtomicLong> m, String table, long n) {
        if (n > 0) m.computeIfAbsent(table, k -> new AtomicLong()).addAndGet(n);
    }

    /** Rows written per source table (inserted, updated and deleted), for progress reports. */
    public Map<String, Long> rowsPerTable() {
        Map<String, Long> out = new java.util.TreeMap<>();
        for (Map<String, AtomicLong> m : java.util.List.of(inserted, upserted, deleted)) {
            m.forEach((t, n) -> out.merge(t, n.get(), Long::sum));
        }
        return out;
    }

    /** TRUNCATEs carried to the target per source table. */
    public Map<String, Long> truncatesPerTable() {
        Map<String, Long> out = new java.util.TreeMap<>();
        truncated.forEach((t, n) -> out.put(t, n.get()));
        return out;
    }

    public long moveStatements() {
        return moveStatements.get();
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
                + " inserted=" + inserted + " upserted=" + upserted + " deleted=" + deleted + " truncated=" + truncated + " lookups=" + lookups
                + " cacheHits=" + cacheHits + " lookupQueries=" + lookupQueries + " sourceLookups=" + sourceLookups
                + " skippedReplays=" + skippedReplays + " moveStatements=" + moveStatements + " lagMs=" + lagMs
                + " ms(place=" + placeNanos.get() / 1_000_000 + " repair=" + repairNanos.get() / 1_000_000 + " write=" + writeNanos.get() / 1_000_000
                + " move=" + moveNanos.get() / 1_000_000 + " commit=" + commitNanos.get() / 1_000_000 + ")"
                + " statements(count/ms)=" + statementsText();
    }

    private String statementsText() {
        StringBuilder b = new StringBuilder("{");
        statements.forEach((k, v) -> b.append(b.length() > 1 ? ", " : "").append(k).append('=').append(v[0]).append('/').append(v[1] / 1_000_000));
        return b.append('}').toString();
    }
}
