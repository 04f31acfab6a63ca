package io.citusmigrate.copy;

import io.citusmigrate.db.Databases;
import io.citusmigrate.load.LoadCommand;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * One source reader (inside the exported snapshot) and one target writer per worker thread,
 * and for the copy straight to the shards one connection per Citus worker node, opened on first
 * use and closed together at the end.
 */
final class CopyWorkers implements AutoCloseable {
    record Worker(Connection source, Connection target, java.util.Map<Node, Connection> nodes) {}

    private final LoadCommand cmd;
    private final SourceSnapshot snapshot;
    private final String timeZone;
    private final List<Worker> all = new ArrayList<>();
    private final ThreadLocal<Worker> mine = new ThreadLocal<>();

    CopyWorkers(LoadCommand cmd, SourceSnapshot snapshot, String timeZone) {
        this.cmd = cmd;
        this.snapshot = snapshot;
        this.timeZone = timeZone;
    }

    Worker get() throws SQLException {
        Worker w = mine.get();
        if (w != null) return w;
        Connection s = Databases.connect("source", cmd.source());
        Connection t = Databases.target(cmd);
        // both sides render and parse dates in the source's own time zone
        Databases.setTimeZone(s, timeZone);
        Databases.setTimeZone(t, timeZone);
        snapshot.use(s);
        keepShardConnections(t);
        t.setAutoCommit(false);
        w = new Worker(s, t, new java.util.HashMap<>());
        mine.set(w);
        synchronized (all) {
            all.add(w);
        }
        return w;
    }

    /** This thread's connection to a Citus node, in a transaction, with the target URL's credentials and SET settings. */
    Connection node(Worker w, Node n) throws SQLException {
        Connection c = w.nodes().get(n);
        if (c != null) return c;
        c = Databases.connect("worker", ShardRoutes.urlOf(cmd.target(), n));
        synchronized (all) {
            w.nodes().put(n, c); // closed with the others, even if what follows fails
        }
        Databases.applySettings(c, cmd.settings());
        Databases.setTimeZone(c, timeZone); // text COPY parses dates in the source's time zone
        c.setAutoCommit(false);
        return c;
    }

    /**
     * A COPY into a distributed table writes its shards over many connections to the workers;
     * by default Citus keeps one per worker after the transaction, and each range's COPY opened
     * the rest again. On a server without Citus the setting is an inert placeholder.
     */
    private static void keepShardConnections(Connection t) throws SQLException {
        try (java.sql.Statement st = t.createStatement()) {
            st.execute("SET citus.max_cached_conns_per_worker = 32");
        }
    }

    @Override
    public void close() {
        synchronized (all) {
            for (Worker w : all) {
                Databases.close(w.source());
                Databases.close(w.target());
                w.nodes().values().forEach(Databases::close);
            }
            all.clear();
        }
    }
}
