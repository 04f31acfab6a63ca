package io.citusmigrate.stream;

import io.citusmigrate.copy.Projection;
import io.citusmigrate.db.Databases;
import io.citusmigrate.plan.Plan;
import io.citusmigrate.plan.TablePlan;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.postgresql.copy.CopyOut;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * UNLOGGED tables: logical decoding never sees their changes, so a stream cannot carry them.
 * The bulk load copies them; the cutover, once writes have stopped and every streamed change is
 * on the target, empties each on the target and copies it again from the source, in one target
 * transaction per table (a consolidated tenant's table: its tenant's rows alone).
 */
public final class UnloggedTables {
    private UnloggedTables() {}

    public static List<TablePlan> of(Plan plan) {
        return plan.sourceTables().stream().filter(t -> !t.isPartition() && t.source().unlogged()).toList();
    }

    /**
     * What the cutover does besides the stream while writes are stopped, to say before it stops
     * them: the UNLOGGED tables copied again and the large objects compared (the source's, as
     * PostgreSQL estimates them); empty when there is neither.
     */
    public static String whileWritesStopped(Connection source) throws SQLException {
        try (Statement s = source.createStatement(); java.sql.ResultSet rs = s.executeQuery("SELECT count(*),"
                + " coalesce(sum(greatest(c.reltuples, 0)), 0)::bigint, (SELECT count(*) FROM pg_catalog.pg_largeobject_metadata)"
                + " FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
                + " WHERE c.relpersistence = 'u' AND c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema')")) {
            rs.next();
            long tables = rs.getLong(1), rows = rs.getLong(2), objects = rs.getLong(3);
            java.util.List<String> parts = new java.util.ArrayList<>();
            if (tables > 0) parts.add("copies " + tables + " UNLOGGED table" + (tables == 1 ? "" : "s") + " again (about " + rows + " rows)");
            if (objects > 0) parts.add("compares " + objects + " large objects");
            return parts.isEmpty() ? "" : "while writes are stopped the cutover also " + String.join(" and ", parts)
                    + ": that time adds to the write downtime";
        }
    }

    /** For a cutover's last line: empty when there are none. */
    public static String phrase(Plan plan, long rows) {
        int n = of(plan).size();
        return n == 0 ? "" : ", " + n + " UNLOGGED table" + (n == 1 ? "" : "s") + " copied again (" + rows + " rows)";
    }

    /** Copies every UNLOGGED table again; returns the rows copied. */
    public static long copyAgain(Plan plan, Connection source, Connection target) throws SQLException {
        long rows = 0;
        if (of(plan).isEmpty()) return 0;
        // text COPY renders times in the session's zone: the target reads them in the same one
        Databases.setTimeZone(target, Databases.timeZone(source));
        for (TablePlan t : of(plan)) {
            long copied = copy(new Projection(t), source, target);
            long there = count(source, t.source().name().sql());
            if (copied != there) {
                // rows that lead to no tenant: the bulk load's orphan policy is not there to take them
                throw new io.citusmigrate.UserError("the UNLOGGED table " + t.source().name() + " has " + (there - copied) + " of its " + there
                        + " rows that lead to no tenant now; fix them on the source, then cut over again");
            }
            rows += copied;
        }
        return rows;
    }

    private static long count(Connection c, String table) throws SQLException {
        try (Statement s = c.createStatement(); java.sql.ResultSet rs = s.executeQuery("SELECT count(*) FROM " + table)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static long copy(Projection p, Connection source, Connection target) throws SQLException {
        boolean binary = p.binary();
        boolean auto = target.getAutoCommit();
        target.setAutoCommit(false);
        try (Statement s = target.createStatement()) {
            if (p.table().tenantValue() == null) {
                s.execute("TRUNCATE " + p.table().target().sql());
            } else {
                // a consolidated tenant's table: its tenant's rows alone, the other tenants' stay
                try (java.sql.PreparedStatement d = target.prepareStatement("DELETE FROM " + p.table().target().sql() + " WHERE "
                        + io.citusmigrate.sql.Sql.ident(p.table().distributionColumn()) + " = ?::" + io.citusmigrate.sql.Sql.castType(p.table().columns().get(0).type().sql()))) {
                    d.setString(1, p.table().tenantValue());
                    d.executeUpdate();
                }
            }
            CopyOut out = source.unwrap(PGConnection.class).getCopyAPI().copyOut(p.copyOut(null, binary));
            CopyIn in = target.unwrap(PGConnection.class).getCopyAPI().copyIn(p.copyIn(binary));
            try {
                byte[] buf;
                while ((buf = out.readFromCopy()) != null) in.writeToCopy(buf, 0, buf.length);
                long rows = in.endCopy();
                target.commit();
                return rows;
            } finally {
                if (out.isActive()) out.cancelCopy();
                if (in.isActive()) in.cancelCopy();
            }
        } catch (SQLException | RuntimeException e) {
            target.rollback();
            throw e;
        } finally {
            target.setAutoCommit(auto);
        }
    }
}
