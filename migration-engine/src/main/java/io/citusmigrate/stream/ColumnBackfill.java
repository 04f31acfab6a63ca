package io.citusmigrate.stream;

import io.citusmigrate.catalog.QualifiedName;
import io.citusmigrate.sql.Sql;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * A column added on the source while streaming whose existing rows got values PostgreSQL
 * evaluated for each of them (an identity or serial column, a default such as random()): those
 * values never pass through the WAL, so they are read from the source by the table's primary key
 * and written into the target's rows, in the transaction that adds the column there.
 *
 * <p>The source may be ahead of the stream by then. That is safe: a row the source changed
 * since carries the column in its later change, a row it deleted since is deleted by a later
 * change, and a row it inserted since is not on the target yet (its insert carries the value).
 * Rows the source no longer has keep a placeholder from the column's default until then, so
 * that NOT NULL holds.
 *
 * <p>Citus refuses an identity column added to a distributed table, so on the target an
 * identity column is a column whose default is a sequence it owns (named as the source's), which
 * the cutover sets to the source's value as it does every identity's.
 */
final class ColumnBackfill {
    private static final int BATCH = 10_000;

    /**
     * One column to fill: {@code sequence} is the target sequence to make and own (an identity's
     * or a serial's), with its CREATE statement, or null for a default without one.
     */
    record Fill(int num, String column, String type, String defaultExpr, boolean notNull, QualifiedName sequence, String createSequence) {
        /** The column's default on the target. */
        String targetDefault() {
            return sequence != null ? "nextval(" + Sql.literal(sequence.sql()) + "::regclass)" : defaultExpr;
        }
    }

    private ColumnBackfill() {}

    /**
     * The name of the sequence the source column (table oid, column number) owns, as an identity
     * or a serial column owns it, or null.
     */
    static String ownedSequence(Connection source, long table, int num) throws SQLException {
        try (PreparedStatement ps = source.prepareStatement("SELECT s.relname FROM pg_catalog.pg_depend d"
                + " JOIN pg_catalog.pg_class s ON s.oid = d.objid AND s.relkind = 'S'"
                + " WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass"
                + " AND d.refobjid = ?::pg_catalog.oid AND d.refobjsubid = ? AND d.deptype IN ('a', 'i')")) {
            ps.setLong(1, table);
            ps.setInt(2, num);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        }
    }

    /**
     * After {@code ADD COLUMN} on the target {@code table} (in the caller's transaction): the
     * sequence made and owned, every row the source still has given its value by {@code key}
     * (the source's primary key, the same columns on the target, of the types in {@code keyTypes}),
     * the others a placeholder where NOT NULL needs one, then the default and NOT NULL. Returns the
     * number of rows filled from the source.
     */
    static long run(Fill f, QualifiedName table, List<String> key, Map<String, String> keyTypes, long sourceOid, Connection source,
                    Connection target) throws SQLException {
        String col = Sql.ident(f.column());
        try (Statement s = target.createStatement()) {
            if (f.sequence() != null) {
                s.execute(f.createSequence());
                s.execute("ALTER SEQUENCE " + f.sequence().sql() + " OWNED BY " + table.sql() + "." + col);
            }
        }
        long filled = fromSource(f, table, key, keyTypes, sourceOid, source, target);
        try (Statement s = target.createStatement()) {
            if (f.notNull()) {
                // rows the source deleted since: a later change deletes them; until then NOT NULL needs a value
                String keys = Sql.idents(key);
                s.execute("WITH d AS (SELECT " + keys + ", " + f.targetDefault() + " AS v FROM " + table.sql() + " WHERE " + col + " IS NULL)"
                        + " UPDATE " + table.sql() + " t SET " + col + " = d.v FROM d WHERE "
                        + key.stream().map(k -> "t." + Sql.ident(k) + " = d." + Sql.ident(k)).collect(Collectors.joining(" AND ")));
            }
            // Citus takes a nextval default only as a statement of its own
            if (f.targetDefault() != null) s.execute("ALTER TABLE " + table.sql() + " ALTER COLUMN " + col + " SET DEFAULT " + f.targetDefault());
            if (f.notNull()) s.execute("ALTER TABLE " + table.sql() + " ALTER COLUMN " + col + " SET NOT NULL");
        }
        return filled;
    }

    /** The values the source's rows hold now, written into the same rows on the target, a batch at a time. */
    private static long fromSource(Fill f, QualifiedName table, List<String> key, Map<String, String> keyTypes, long sourceOid,
                                   Connection source, Connection target) throws SQLException {
        String[] at = sourceNames(source, sourceOid, f.num());
        // gone from the source since (dropped later in the stream): nothing to read, the drop comes
        if (at == null) return 0;
        String select = "SELECT " + key.stream().map(k -> Sql.ident(k) + "::text").collect(Collectors.joining(", ")) + ", "
                + Sql.ident(at[1]) + "::text FROM " + at[0];
        String update = "UPDATE " + table.sql() + " t SET " + Sql.ident(f.column()) + " = v.c::" + f.type() + " FROM (SELECT "
                + IntStream.range(0, key.size()).mapToObj(i -> "unnest(?::text[]) AS k" + i).collect(Collectors.joining(", "))
                + ", unnest(?::text[]) AS c) v WHERE "
                + IntStream.range(0, key.size()).mapToObj(i -> "t." + Sql.ident(key.get(i)) + " = v.k" + i + "::" + keyTypes.get(key.get(i)))
                        .collect(Collectors.joining(" AND "));
        boolean auto = source.getAutoCommit();
        source.setAutoCommit(false); // a cursor, not the whole table in memory
        long n = 0;
        try (Statement s = source.createStatement(); PreparedStatement up = target.prepareStatement(update)) {
            s.setFetchSize(BATCH);
            try (ResultSet rs = s.executeQuery(select)) {
                List<List<String>> batch = new ArrayList<>();
                while (rs.next()) {
                    List<String> row = new ArrayList<>(key.size() + 1);
                    for (int i = 1; i <= key.size() + 1; i++) row.add(rs.getString(i));
                    batch.add(row);
                    if (batch.size() == BATCH) n += write(up, batch, key.size());
                }
                n += write(up, batch, key.size());
            }
        } finally {
            source.rollback();
            source.setAutoCommit(auto);
        }
        return n;
    }

    private static long write(PreparedStatement up, List<List<String>> batch, int keys) throws SQLException {
        if (batch.isEmpty()) return 0;
        for (int i = 0; i <= keys; i++) {
            int col = i;
            up.setArray(i + 1, up.getConnection().createArrayOf("text", batch.stream().map(r -> r.get(col)).toArray()));
        }
        up.executeUpdate();
        int n = batch.size();
        batch.clear();
        return n;
    }

    /** The source table's qualified name and the column's name now, by oid and number, or null when either is gone. */
    private static String[] sourceNames(Connection source, long oid, int num) throws SQLException {
        try (PreparedStatement ps = source.prepareStatement("SELECT pg_catalog.format('%I.%I', n.nspname, c.relname), a.attname"
                + " FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
                + " JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum = ? AND NOT a.attisdropped WHERE c.oid = ?::pg_catalog.oid")) {
            ps.setInt(1, num);
            ps.setLong(2, oid);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? new String[] {rs.getString(1), rs.getString(2)} : null;
            }
        }
    }
}
