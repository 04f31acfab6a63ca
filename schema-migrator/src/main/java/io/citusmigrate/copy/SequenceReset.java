package io.citusmigrate.copy;

import io.citusmigrate.catalog.Catalog;
import io.citusmigrate.catalog.QualifiedName;
import io.citusmigrate.catalog.Sequence;
import io.citusmigrate.plan.Plan;
import io.citusmigrate.plan.TablePlan;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * Sets every target sequence (identity columns' included) to its source value, so that an
 * INSERT through the coordinator after the bulk load does not collide.
 */
public final class SequenceReset {
    private SequenceReset() {}

    /** A target sequence's value: {@code next} is what its next call gives (the furthest of several sources' wins). */
    public record Reset(String sequence, long lastValue, boolean isCalled, long next, boolean ascending) {
        boolean beyond(Reset other) {
            return ascending ? next > other.next : next < other.next;
        }
    }

    /**
     * Tenant schemas consolidated into one set of tables have a sequence each for one target
     * sequence: that one is set past the furthest of them, so that no tenant's next id collides.
     */
    public static List<Reset> run(Catalog catalog, Plan plan, Connection source, Connection target) throws SQLException {
        List<Reset> out = read(catalog, plan, source, target);
        apply(target, out);
        return out;
    }

    /** Each target sequence's value from this source, the furthest where several of its sequences go into one. */
    public static List<Reset> read(Catalog catalog, Plan plan, Connection source, Connection target) throws SQLException {
        java.util.Map<String, Reset> out = new java.util.LinkedHashMap<>();
        for (Sequence s : catalog.sequences()) {
            String targetSeq = targetName(s, plan, target);
            if (targetSeq == null) continue;
            long last;
            boolean called;
            try (Statement st = source.createStatement();
                 ResultSet rs = st.executeQuery("SELECT last_value, is_called FROM " + s.name().sql())) {
                rs.next();
                last = rs.getLong(1);
                called = rs.getBoolean(2);
            }
            long step = s.increment() == 0 ? 1 : s.increment();
            furthest(out, new Reset(targetSeq, last, called, called ? last + step : last, step > 0));
        }
        return List.copyOf(out.values());
    }

    /** Several sources' values (tenant databases) as one: each target sequence past the furthest. */
    public static List<Reset> furthest(List<List<Reset>> each) {
        java.util.Map<String, Reset> out = new java.util.LinkedHashMap<>();
        each.forEach(rs -> rs.forEach(r -> furthest(out, r)));
        return List.copyOf(out.values());
    }

    private static void furthest(java.util.Map<String, Reset> out, Reset r) {
        Reset before = out.get(r.sequence());
        if (before == null || r.beyond(before)) out.put(r.sequence(), r);
    }

    /** Sets the target's sequences. */
    public static void apply(Connection target, List<Reset> resets) throws SQLException {
        for (Reset r : resets) {
            try (PreparedStatement ps = target.prepareStatement("SELECT setval(?::regclass, ?, ?)")) {
                ps.setString(1, r.sequence());
                ps.setLong(2, r.lastValue());
                ps.setBoolean(3, r.isCalled());
                ps.execute();
            }
        }
    }

    /** The target sequence's regclass text, or null when it is not migrated. */
    private static String targetName(Sequence s, Plan plan, Connection target) throws SQLException {
        if (s.identity()) {
            TablePlan t = plan.table(s.ownedByTable()).orElse(null);
            if (t == null) return null;
            try (PreparedStatement ps = target.prepareStatement("SELECT pg_get_serial_sequence(?, ?)")) {
                ps.setString(1, t.target().sql());
                ps.setString(2, s.ownedByColumn());
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? rs.getString(1) : null;
                }
            }
        }
        return plan.sequences().stream()
                .filter(p -> p.name().name().equals(s.name().name()) && sameOwner(p, s, plan))
                .map(p -> p.name().sql()).findFirst().orElse(null);
    }

    private static boolean sameOwner(Sequence planned, Sequence source, Plan plan) {
        if (source.ownedByTable() == null) return planned.ownedByTable() == null;
        QualifiedName target = plan.table(source.ownedByTable()).map(TablePlan::target).orElse(null);
        return target != null && target.equals(planned.ownedByTable());
    }
}
