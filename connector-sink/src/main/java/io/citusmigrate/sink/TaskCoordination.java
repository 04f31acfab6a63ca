package io.citusmigrate.sink;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * How the tasks of one sink keep tenant moves consistent when they split the tables between
 * them (tasks.max above 1). A child row takes its tenant key from its parent, which another task
 * may be moving to another tenant at that moment. So every batch holds the sink's advisory lock
 * in shared mode from before it looks up a tenant key until it commits, and a batch that moves a
 * subtree takes it exclusively before its moves: a move never runs beside a batch that placed
 * rows by the parent's old tenant, and a batch after it looks up the new one. Each move also
 * bumps the sink's move epoch, so that the other tasks drop what they cached of tenant keys.
 * The locks are the coordinator's and last until the commit; two tasks upgrading at once
 * deadlock, PostgreSQL ends one, and it retries.
 */
final class TaskCoordination {
    static final String EPOCHS = SinkPositions.SCHEMA + ".sink_moves";
    private final Connection target;
    private final String sink;
    private long epoch = -1;

    TaskCoordination(Connection target, String sink) throws SQLException {
        this.target = target;
        this.sink = sink;
        SinkPositions.createSerialized(target, "CREATE TABLE IF NOT EXISTS " + EPOCHS + " (sink text PRIMARY KEY, epoch bigint NOT NULL)");
    }

    /** At the start of a batch's transaction: true when another task moved rows since this one last looked (drop the caches). */
    boolean begin() throws SQLException {
        lock("pg_advisory_xact_lock_shared");
        long now;
        try (PreparedStatement ps = target.prepareStatement("SELECT coalesce(max(epoch), 0) FROM " + EPOCHS + " WHERE sink = ?")) {
            ps.setString(1, sink);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                now = rs.getLong(1);
            }
        }
        boolean moved = epoch == -2 || epoch >= 0 && now != epoch;
        epoch = now;
        return moved;
    }

    /** The epoch read or bumped in a rolled-back transaction is not known any more: the next batch drops the caches. */
    void rolledBack() {
        epoch = -2;
    }

    /** Before a batch's moves: alone, and the others told. */
    void beforeMoves() throws SQLException {
        lock("pg_advisory_xact_lock");
        try (PreparedStatement ps = target.prepareStatement("INSERT INTO " + EPOCHS + " (sink, epoch) VALUES (?, 1)"
                + " ON CONFLICT (sink) DO UPDATE SET epoch = " + EPOCHS + ".epoch + 1 RETURNING epoch")) {
            ps.setString(1, sink);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                epoch = rs.getLong(1); // this task's caches follow its own moves already
            }
        }
    }

    private void lock(String function) throws SQLException {
        try (PreparedStatement ps = target.prepareStatement("SELECT pg_catalog." + function + "(pg_catalog.hashtext(?))")) {
            ps.setString(1, "citus-sink " + sink);
            ps.execute();
        }
    }
}
