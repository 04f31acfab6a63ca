package io.citusmigrate.sink;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/** Row counts of the target transaction under way: they reach the metrics only once it commits, so a retried batch counts once. */
final class CommitCounts {
    private final List<Runnable> pending = new ArrayList<>();

    void add(Map<String, AtomicLong> counter, String table, long n) {
        if (n > 0) pending.add(() -> SinkMetrics.add(counter, table, n));
    }

    void committed() {
        pending.forEach(Runnable::run);
        pending.clear();
    }

    void rolledBack() {
        pending.clear();
    }
}
