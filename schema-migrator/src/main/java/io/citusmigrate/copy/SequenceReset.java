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

    public record Reset(String sequence, long lastValue, boolean isCalled) {}

    public static List<Reset> run(Catalog catalog, Plan plan, Connection source, Connection target) throws SQLException {
        List<Reset> out = new ArrayList<>();
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
            try (PreparedStatement ps = target.prepareStatement("SELECT setval(?::regclass, ?, ?)")) {
                ps.setString(1, targetSeq);
                ps.setLong(2, last);
                ps.setBoolean(3, called);
                ps.execute();
            }
            out.add(new Reset(targetSeq, last, called));
        }
        return out;
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
