package io.citusmigrate.steps;

import io.citusmigrate.copy.LargeObjects;
import io.citusmigrate.db.Databases;
import io.citusmigrate.stream.LiveProgress;
import io.citusmigrate.stream.LiveSource;
import io.citusmigrate.stream.LiveStream;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * Watches a stream until its cutover marker is applied. Every second a heartbeat goes into the
 * source's WAL and the status (rate, lag) onto the target for `status` and `cutover`; every 10
 * seconds a line says how far the stream is.
 */
final class StreamWatch {
    private StreamWatch() {}

    static void untilMarker(Migration m, LiveStream stream, String phase, String progress) throws InterruptedException {
        long reported = System.currentTimeMillis();
        Connection source = null;
        Connection target = null;
        boolean warned = false;
        java.util.Map<String, Long> truncates = new java.util.HashMap<>(stream.truncatesPerTable());
        try {
            while (!stream.awaitCutover(1000)) {
                stream.truncatesPerTable().forEach((table, n) -> {
                    if (!n.equals(truncates.put(table, n))) m.say(truncated(m, table));
                });
                LiveProgress.Status st = null;
                try {
                    if (source == null) {
                        source = m.source();
                        LiveSource.writable(source);
                        target = m.target();
                    }
                    stream.progress().emit(source);
                    st = stream.progress().measure(m.settings.slot(), phase, stream.applied(), stream.rowsPerTable(), source);
                    LiveProgress.save(target, st);
                } catch (SQLException | RuntimeException e) {
                    if (!warned) m.err.println("warning: the lag cannot be measured ("
                            + (e instanceof SQLException q ? Databases.oneLine(q, null) : e.getMessage()) + "); streaming goes on");
                    warned = true;
                    close(source);
                    close(target);
                    source = null;
                    target = null;
                }
                if (System.currentTimeMillis() - reported >= 10_000) {
                    reported = System.currentTimeMillis();
                    newLargeObjects(m, source, target);
                    m.say(String.format(progress, stream.applied()) + (st == null ? ""
                            : String.format(java.util.Locale.ROOT, ", %.0f/s; behind the source by %.1f s (%s)", st.rate(), st.lagSeconds(),
                            LiveProgress.bytes(st.lagBytes()))));
                }
            }
        } finally {
            close(source);
            close(target);
        }
    }

    /** What a TRUNCATE on the source did on the target: a consolidated tenant's empties its rows alone. */
    private static String truncated(Migration m, String table) {
        var c = m.plan.consolidation();
        if (c == null) return "TRUNCATE of " + table + " on the source: the target table is emptied too";
        return "TRUNCATE of " + table + " on the source" + (c.databases() ? " (tenant database " + m.settings.source().database() + ")" : "")
                + ": that tenant's rows are deleted on the target too";
    }

    /** Large objects the application wrote since, carried now so that the cutover has few left to copy. */
    private static void newLargeObjects(Migration m, Connection source, Connection target) {
        // tenant databases' large objects are not carried (their oids would collide): the cutover names them
        if (source == null || m.plan.consolidation() != null && m.plan.consolidation().databases()) return;
        try {
            int n = LargeObjects.copyNew(source, target);
            if (n > 0) m.say(n + " new large object" + (n == 1 ? "" : "s") + " copied from the source");
        } catch (SQLException e) {
            m.err.println("warning: new large objects not copied yet (" + Databases.oneLine(e, null) + "); the cutover copies them");
        }
    }

    private static void close(Connection c) {
        if (c != null) Databases.close(c);
    }
}
