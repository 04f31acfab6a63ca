package io.citusmigrate.verify;

import io.citusmigrate.catalog.ForeignKey;
import io.citusmigrate.copy.Projection;
import io.citusmigrate.db.Parallel;
import io.citusmigrate.ddl.Sql;
import io.citusmigrate.plan.Hop;
import io.citusmigrate.plan.Plan;
import io.citusmigrate.plan.TablePlan;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.stream.Collectors;

/**
 * Compares each table on both sides: row counts, an order-independent checksum of the rows
 * (the source projected through the plan, back-filled tenant key included), and for
 * back-filled tables that each row's tenant key equals its parent's.
 */
public final class Verifier {
    private static final int SAMPLE_LIMIT = 5_000_000;

    public record TableCheck(String table, long sourceRows, long targetRows, boolean checksumsMatch,
                             String problem, String sampleKey) {
        public boolean ok() {
            return problem == null;
        }
    }

    private Verifier() {}

    /**
     * After a bulk load: the rows each table gives back by COPY, hashed as the copy hashed what it
     * read from the source, tables in parallel on {@code threads} target connections; then the
     * tenant keys of back-filled tables against their parents. The source is not read again.
     */
    public static List<TableCheck> verifyCopied(Plan plan, List<io.citusmigrate.copy.TableResult> copied,
                                                java.util.function.Supplier<Connection> target, int threads) {
        List<TablePlan> tables = plan.tables().stream().filter(t -> !t.isPartition()).toList();
        try (Parallel.Connections conns = new Parallel.Connections(target)) {
            return Parallel.map(tables, threads, t -> checkCopied(t, copied.stream()
                    .filter(x -> x.table().equals(t.target().toString())).findFirst().orElseThrow(), conns.get()));
        }
    }

    private static TableCheck checkCopied(TablePlan t, io.citusmigrate.copy.TableResult r, Connection target) throws SQLException {
        long rows = 0;
        long sum = 0;
        boolean binary = new Projection(t).binary(); // the format the copy used
        org.postgresql.copy.CopyOut out = target.unwrap(org.postgresql.PGConnection.class).getCopyAPI()
                .copyOut("COPY (SELECT " + targetColumns(t) + " FROM " + t.target().sql() + " t) TO STDOUT" + (binary ? " (FORMAT binary)" : ""));
        byte[] row;
        while ((row = out.readFromCopy()) != null) {
            int at = io.citusmigrate.copy.CopyRows.rowStart(row, binary);
            if (at < 0) continue;
            rows++;
            sum += io.citusmigrate.copy.RowHash.of(row, at, row.length);
        }
        String name = t.target().toString();
        if (rows != r.written() || sum != r.checksum()) {
            String problem = rows != r.written() ? "row counts differ: copied " + r.written() + ", target " + rows : "contents differ (checksums)";
            return new TableCheck(name, r.written(), rows, sum == r.checksum(), problem, "(run citus-migrate verify for a sample key)");
        }
        String mismatch = tenantMismatch(t, target);
        return new TableCheck(name, r.written(), rows, true, mismatch == null ? null : "tenant key differs from the parent's", mismatch);
    }

    /** Both connections must render values alike: same TimeZone (see CopyWorkers). */
    public static List<TableCheck> verify(Plan plan, Connection source, Connection target) throws SQLException {
        List<TableCheck> out = new ArrayList<>();
        for (TablePlan t : plan.tables()) {
            if (t.isPartition()) continue;
            Projection p = new Projection(t);
            // the two sides are different servers: scan them at the same time
            CompletableFuture<long[]> srcScan = CompletableFuture.supplyAsync(() -> sums(source,
                    "SELECT count(*), coalesce(sum(" + hash("ROW(" + p.selectList() + ")") + "), 0)" + p.fromWhere(null)));
            long[] tgt = sums(target, "SELECT count(*), coalesce(sum(" + hash("ROW(" + targetColumns(t) + ")") + "), 0) FROM "
                    + t.target().sql() + " t");
            long[] src = join(srcScan);
            String name = t.target().toString();
            if (src[0] != tgt[0] || src[1] != tgt[1]) {
                String problem = src[0] != tgt[0] ? "row counts differ: source " + src[0] + ", target " + tgt[0] : "contents differ (checksums)";
                out.add(new TableCheck(name, src[0], tgt[0], src[1] == tgt[1], problem, sampleDifference(p, source, target, src[0])));
                continue;
            }
            String mismatch = tenantMismatch(t, target);
            out.add(new TableCheck(name, src[0], tgt[0], true,
                    mismatch == null ? null : "tenant key differs from the parent's", mismatch));
        }
        return out;
    }

    private static String targetColumns(TablePlan t) {
        return t.columns().stream().filter(c -> c.generated() == null).map(c -> "t." + Sql.ident(c.name())).collect(Collectors.joining(", "));
    }

    /** A 64-bit hash of the row's text, summed as numeric: the order of rows does not matter. */
    private static String hash(String row) {
        return "hashtextextended(" + row + "::text, 0)::numeric";
    }

    private static long[] sums(Connection c, String sql) {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return new long[] {rs.getLong(1), rs.getBigDecimal(2).remainder(java.math.BigDecimal.valueOf(Long.MAX_VALUE)).longValue()};
        } catch (SQLException e) {
            throw new CompletionException(e);
        }
    }

    private static long[] join(CompletableFuture<long[]> f) throws SQLException {
        try {
            return f.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof SQLException s) throw s;
            throw e;
        }
    }

    /** For a back-filled table: a child row whose (tenant key, foreign key) finds no parent. */
    private static String tenantMismatch(TablePlan t, Connection target) throws SQLException {
        if (t.backfillPath().isEmpty()) return null;
        Hop first = t.backfillPath().get(0);
        ForeignKey fk = t.foreignKeys().stream().filter(f -> f.name().equals(first.foreignKey())).findFirst().orElse(null);
        if (fk == null) return null;
        String parentDist = fk.refColumns().get(fk.columns().indexOf(t.distributionColumn()));
        List<String> on = new ArrayList<>();
        for (int i = 0; i < fk.columns().size(); i++) {
            on.add("p." + Sql.ident(fk.refColumns().get(i)) + " = c." + Sql.ident(fk.columns().get(i)));
        }
        String notNull = first.childColumns().stream().map(c -> "c." + Sql.ident(c) + " IS NOT NULL").collect(Collectors.joining(" AND "));
        String key = t.source().primaryKey().map(pk -> pk.columns()).orElse(first.childColumns()).stream()
                .map(c -> "c." + Sql.ident(c)).collect(Collectors.joining(" || ',' || "));
        String sql = "SELECT (" + key + ")::text FROM " + t.target().sql() + " c LEFT JOIN " + fk.refTable().sql() + " p ON "
                + String.join(" AND ", on) + " WHERE " + notNull + " AND p." + Sql.ident(parentDist) + " IS NULL LIMIT 1";
        try (Statement s = target.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        }
    }

    /** The first key whose row differs or is missing on one side (only looked for on failure). */
    private static String sampleDifference(Projection p, Connection source, Connection target, long rows) throws SQLException {
        if (rows > SAMPLE_LIMIT) return "(table too large to look for a sample)";
        TablePlan t = p.table();
        List<String> keys = t.source().primaryKey().map(pk -> pk.columns()).orElse(null);
        if (keys == null) return "(no primary key to name a row)";
        String keyExpr = keys.stream().map(k -> "t." + Sql.ident(k) + "::text").collect(Collectors.joining(" || ',' || "));
        Map<String, String> src = new HashMap<>();
        try (Statement s = source.createStatement();
             ResultSet rs = s.executeQuery("SELECT " + keyExpr + ", md5(ROW(" + p.selectList() + ")::text)"
                     + p.fromWhere(null))) {
            while (rs.next()) src.put(rs.getString(1), rs.getString(2));
        }
        try (Statement s = target.createStatement();
             ResultSet rs = s.executeQuery("SELECT " + keyExpr + ", md5(ROW(" + targetColumns(t) + ")::text) FROM " + t.target().sql() + " t")) {
            while (rs.next()) {
                String want = src.remove(rs.getString(1));
                if (want == null) return rs.getString(1) + " (on the target only)";
                if (!want.equals(rs.getString(2))) return rs.getString(1) + " (differs)";
            }
        }
        return src.isEmpty() ? "(none found)" : src.keySet().iterator().next() + " (missing on the target)";
    }
}
