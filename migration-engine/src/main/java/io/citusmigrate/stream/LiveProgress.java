package io.citusmigrate.stream;

import io.citusmigrate.progress.ProgressCatalog;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How far behind the source a live migration is, measured with heartbeats: `migrate` writes a
 * small message into the source's WAL every second ({@link #emit}); the stream notes the newest
 * one it has applied ({@link #applied}). The oldest heartbeat not applied yet says how many
 * seconds and WAL bytes the target is behind; the heartbeats applied in the last half minute say
 * the stream's pace, in seconds of the source's writes applied per second, and so how long
 * catching up should take once writes stop. Kept on the target (citus_migrate.live_status) for
 * `status` and `cutover` in other terminals.
 */
public final class LiveProgress {
    /** A status older than this means `migrate` is not reporting (it reports every second). */
    public static final double STALE_SECONDS = 10;

    /** Bytes as B, kB or MB. */
    public static String bytes(long n) {
        if (n < 10_000) return n + " B";
        if (n < 10_000_000) return String.format(java.util.Locale.ROOT, "%.1f kB", n / 1000.0);
        return String.format(java.util.Locale.ROOT, "%.1f MB", n / 1_000_000.0);
    }

    static final String HEARTBEAT = "heartbeat ";
    /** Behind by at most this, a stream with no pace measured yet is estimated at its lag. */
    static final double NO_PACE_SECONDS = 10;
    private static final String TABLE = "citus_migrate.live_status";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Emitted heartbeats not known to be applied: {emit millis, WAL position}. */
    private final Deque<long[]> pending = new ArrayDeque<>();
    /** Applied heartbeats of the last half minute, for the pace: {millis seen, WAL position, emit millis}. */
    private final Deque<long[]> recent = new ArrayDeque<>();
    /** Row changes applied, one sample a measure, for the last ten seconds: {millis, applied}. */
    private final Deque<long[]> counts = new ArrayDeque<>();
    private volatile long appliedEmitMillis;

    /**
     * What `status` shows and `cutover` weighs: row changes per second over the last ten
     * seconds; over the last half minute, WAL bytes applied per second and the pace (seconds of
     * the source's writes applied per second).
     */
    public record Status(String slot, String phase, long applied, double rate, long lagBytes, double lagSeconds,
                         double bytesPerSecond, double pace, Map<String, Long> tables, double ageSeconds) {
        /**
         * Seconds until the stream has applied what the source has written so far, at its recent
         * pace. In seconds of the source's writes, not WAL bytes: a byte of WAL does not cost the
         * same everywhere (full-page images after a checkpoint are many bytes and no rows; one
         * updated row that moves a tenant is few bytes and thousands of rows), and on real Citus
         * the estimate by bytes said 10 s for a catch-up that took 44.
         */
        public double catchUpSeconds() {
            if (lagBytes <= 0 || lagSeconds <= 0) return 0;
            if (pace > 0) return lagSeconds / pace;
            // no pace yet (a stream just started, or busy for seconds carrying schema changes, its heartbeats waiting): a
            // few seconds behind is taken as that long (the cutover's --timeout still bounds the wait); further behind,
            // nothing says how long it would take
            if (bytesPerSecond <= 0) return lagSeconds <= NO_PACE_SECONDS ? lagSeconds : Double.POSITIVE_INFINITY;
            return lagBytes / bytesPerSecond;
        }
    }

    /** Writes a heartbeat into the source's WAL (not transactional: it does not wait for open transactions). */
    public synchronized void emit(Connection source) throws SQLException {
        long now = System.currentTimeMillis();
        try (PreparedStatement ps = source.prepareStatement(
                "SELECT pg_catalog.pg_logical_emit_message(false, ?, ?) - '0/0'::pg_lsn")) {
            ps.setString(1, LiveStream.MARKER_PREFIX);
            ps.setString(2, HEARTBEAT + now);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                pending.addLast(new long[] {now, rs.getLong(1)});
            }
        }
        while (pending.size() > 3600) pending.removeFirst(); // an hour behind: the oldest ones say enough
    }

    /** The stream applied everything up to the heartbeat emitted at {@code emitMillis}. */
    void applied(long emitMillis) {
        appliedEmitMillis = Math.max(appliedEmitMillis, emitMillis);
    }

    /** A measurement now, with {@code applied} row changes so far and per table. */
    public synchronized Status measure(String slot, String phase, long applied, Map<String, Long> tables, Connection source)
            throws SQLException {
        long now = System.currentTimeMillis();
        long done = appliedEmitMillis;
        long[] newest = null;
        while (!pending.isEmpty() && pending.peekFirst()[0] <= done) newest = pending.removeFirst();
        if (newest != null) recent.addLast(new long[] {now, newest[1], newest[0]});
        while (recent.size() > 1 && now - recent.peekFirst()[0] > 30_000) recent.removeFirst();
        counts.addLast(new long[] {now, applied});
        while (counts.size() > 1 && now - counts.peekFirst()[0] > 10_000) counts.removeFirst();
        long lagBytes = 0;
        double lagSeconds = 0;
        // one heartbeat may be in flight without the stream being behind
        if (pending.size() > 1 || !pending.isEmpty() && now - pending.peekFirst()[0] > 2000) {
            long[] oldest = pending.peekFirst();
            lagSeconds = (now - oldest[0]) / 1000.0;
            try (Statement s = source.createStatement();
                 ResultSet rs = s.executeQuery("SELECT pg_catalog.pg_current_wal_lsn() - '0/0'::pg_lsn")) {
                rs.next();
                lagBytes = Math.max(0, rs.getLong(1) - oldest[1]);
            }
        }
        double rate = 0;
        double bytesRate = 0;
        double pace = 0;
        if (counts.size() > 1) {
            double secs = (counts.peekLast()[0] - counts.peekFirst()[0]) / 1000.0;
            if (secs > 0) rate = (counts.peekLast()[1] - counts.peekFirst()[1]) / secs;
        }
        if (recent.size() > 1) {
            double secs = (recent.peekLast()[0] - recent.peekFirst()[0]) / 1000.0;
            if (secs > 0) {
                bytesRate = (recent.peekLast()[1] - recent.peekFirst()[1]) / secs;
                pace = (recent.peekLast()[2] - recent.peekFirst()[2]) / 1000.0 / secs;
            }
        }
        return new Status(slot, phase, applied, rate, lagBytes, lagSeconds, bytesRate, pace, tables, 0);
    }

    /** The heartbeat's emit time in a message's content, or -1 when it is not a heartbeat. */
    static long heartbeatMillis(String content) {
        if (!content.startsWith(HEARTBEAT)) return -1;
        try {
            return Long.parseLong(content.substring(HEARTBEAT.length()).strip());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static void create(Connection target) throws SQLException {
        ProgressCatalog.ensure(target);
    }

    /** Saved every second: the table is created only when the first save finds it missing, not each time. */
    public static void save(Connection target, Status s) throws SQLException {
        try {
            upsert(target, s);
        } catch (SQLException e) {
            // undefined table, schema or column (autocommit: nothing else was rolled back)
            if (!"42P01".equals(e.getSQLState()) && !"3F000".equals(e.getSQLState()) && !"42703".equals(e.getSQLState())) throw e;
            create(target);
            upsert(target, s);
        }
    }

    private static void upsert(Connection target, Status s) throws SQLException {
        try (PreparedStatement ps = target.prepareStatement("INSERT INTO " + TABLE + " (slot, phase, applied, rate, lag_bytes, lag_seconds, bytes_per_second, tables, updated_at, pace)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, now(), ?)"
                + " ON CONFLICT (slot) DO UPDATE SET phase = EXCLUDED.phase, applied = EXCLUDED.applied, rate = EXCLUDED.rate,"
                + " lag_bytes = EXCLUDED.lag_bytes, lag_seconds = EXCLUDED.lag_seconds, bytes_per_second = EXCLUDED.bytes_per_second,"
                + " tables = EXCLUDED.tables, updated_at = now(), pace = EXCLUDED.pace")) {
            ps.setString(1, s.slot());
            ps.setString(2, s.phase());
            ps.setLong(3, s.applied());
            ps.setDouble(4, s.rate());
            ps.setLong(5, s.lagBytes());
            ps.setDouble(6, s.lagSeconds());
            ps.setDouble(7, s.bytesPerSecond());
            try {
                ps.setString(8, JSON.writeValueAsString(s.tables()));
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
            ps.setDouble(9, s.pace());
            ps.executeUpdate();
        }
    }

    /** The last status `migrate` saved for the slot, with its age; null when there is none. */
    public static Status read(Connection target, String slot) throws SQLException {
        try (PreparedStatement ps = target.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
            ps.setString(1, TABLE);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                if (!rs.getBoolean(1)) return null;
            }
        }
        try (PreparedStatement ps = target.prepareStatement("SELECT phase, applied, rate, lag_bytes, lag_seconds, bytes_per_second, tables,"
                + " extract(epoch FROM now() - updated_at), pace FROM " + TABLE + " WHERE slot = ?")) {
            ps.setString(1, slot);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) return null;
                Map<String, Long> tables = new LinkedHashMap<>();
                try {
                    JSON.readTree(rs.getString(7)).fields().forEachRemaining(e -> tables.put(e.getKey(), e.getValue().asLong()));
                } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                    throw new SQLException("unreadable status of slot " + slot, e);
                }
                return new Status(slot, rs.getString(1), rs.getLong(2), rs.getDouble(3), rs.getLong(4), rs.getDouble(5), rs.getDouble(6),
                        rs.getDouble(9), tables, rs.getDouble(8));
            }
        }
    }
}
