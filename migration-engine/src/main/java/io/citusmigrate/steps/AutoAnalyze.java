package io.citusmigrate.steps;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Whether the target's autovacuum analyzes freshly loaded tables by itself: on every node
 * (the coordinator and, on Citus, each worker, which analyzes its shards) autovacuum and
 * track_counts are on, and the table does not turn autovacuum off. A table just loaded counts
 * as changed since its last (never) ANALYZE, so autovacuum takes it within its naptime.
 */
final class AutoAnalyze {
    private static final String NODE = "SELECT current_setting('autovacuum')::bool AND current_setting('track_counts')::bool";

    private AutoAnalyze() {
    }

    static boolean onEveryNode(Connection target, boolean citus) throws SQLException {
        try (Statement st = target.createStatement()) {
            try (ResultSet rs = st.executeQuery(NODE)) {
                rs.next();
                if (!rs.getBoolean(1)) return false;
            }
            if (!citus) return true;
            // a worker that does not answer counts as off: the tables are analyzed now
            try (ResultSet rs = st.executeQuery("SELECT coalesce(bool_and(success AND result = 't'), true)"
                    + " FROM run_command_on_workers($$" + NODE + "$$)")) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    /**
     * Of these tables (SQL names), those analyzed now all the same: their own setting turns
     * autovacuum off, or they are small (under {@link #SMALL} bytes in all), which costs little now,
     * and whose shards may hold fewer rows than autovacuum's threshold (50 by default: it would
     * never analyze them).
     */
    static Set<String> analyzedNow(Connection target, boolean citus, List<String> tables) throws SQLException {
        String size = citus
                ? "CASE WHEN EXISTS (SELECT FROM pg_dist_partition p WHERE p.logicalrelid = c.oid) THEN citus_relation_size(c.oid) ELSE pg_relation_size(c.oid) END"
                : "pg_relation_size(c.oid)";
        Set<String> out = new HashSet<>();
        try (PreparedStatement ps = target.prepareStatement("SELECT t FROM unnest(?::text[]) t JOIN pg_class c ON c.oid = t::regclass"
                + " WHERE EXISTS (SELECT FROM unnest(c.reloptions) o WHERE o ~* '^autovacuum_enabled=(f|fa|fal|fals|false|n|no|of|off|0)$')"
                + " OR " + size + " < ?")) {
            ps.setArray(1, target.createArrayOf("text", tables.toArray()));
            ps.setLong(2, SMALL);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) out.add(rs.getString(1));
            }
        }
        return out;
    }

    /** Tables under this size are analyzed by the run (a few dozen milliseconds each on Citus). */
    static final long SMALL = 8L << 20;

    /** Whether the target is a Citus coordinator (it has workers to ask). */
    static boolean citus(Connection target) throws SQLException {
        try (Statement st = target.createStatement(); ResultSet rs = st.executeQuery("SELECT to_regproc('pg_catalog.run_command_on_workers') IS NOT NULL")) {
            rs.next();
            return rs.getBoolean(1);
        }
    }
}
