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

    static boolean onEveryNode(Connection target) throws SQLException {
        try (Statement st = target.createStatement()) {
            boolean citus;
            try (ResultSet rs = st.executeQuery("SELECT to_regproc('pg_catalog.run_command_on_workers') IS NOT NULL")) {
                rs.next();
                citus = rs.getBoolean(1);
            }
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

    /** Of these tables (SQL names), those whose own setting turns autovacuum off. */
    static Set<String> turnedOff(Connection target, List<String> tables) throws SQLException {
        Set<String> out = new HashSet<>();
        try (PreparedStatement ps = target.prepareStatement("SELECT t FROM unnest(?::text[]) t JOIN pg_class c ON c.oid = t::regclass"
                + " WHERE EXISTS (SELECT FROM unnest(c.reloptions) o WHERE o ~* '^autovacuum_enabled=(f|fa|fal|fals|false|n|no|of|off|0)$')")) {
            ps.setArray(1, target.createArrayOf("text", tables.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) out.add(rs.getString(1));
            }
        }
        return out;
    }
}
