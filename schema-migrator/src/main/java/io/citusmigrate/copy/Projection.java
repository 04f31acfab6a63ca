package io.citusmigrate.copy;

import io.citusmigrate.catalog.Column;
import io.citusmigrate.catalog.ForeignKey;
import io.citusmigrate.catalog.QualifiedName;
import io.citusmigrate.sql.Sql;
import io.citusmigrate.plan.Hop;
import io.citusmigrate.plan.TablePlan;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The source side of one table, as the target will hold it: the SELECT that reads the source
 * rows, back-fills the tenant key by joining along the plan's path, and applies casts. All the
 * data SQL of the bulk load and of verification is built here.
 *
 * <p>An orphan is a row whose tenant key comes out NULL: a NULL or dangling foreign key on the
 * path, or a NULL distribution column.
 */
public final class Projection {
    private final TablePlan table;
    private final List<Column> columns;      // target columns that take data (not generated)
    private final List<String> expressions;  // the source expression of each
    private final String from;
    private final String tenant;             // the expression that yields the tenant key, or null

    public Projection(TablePlan table) {
        this.table = table;
        StringBuilder f = new StringBuilder();
        f.append(" FROM ").append(table.source().isPartitioned() ? "" : "ONLY ").append(table.source().name().sql()).append(" t");
        List<Hop> path = table.backfillPath();
        for (int i = 0; i < path.size(); i++) {
            Hop h = path.get(i);
            String child = i == 0 ? "t" : "p" + i;
            String alias = "p" + (i + 1);
            f.append(" LEFT JOIN ").append(h.parent().sql()).append(' ').append(alias).append(" ON ");
            List<String> on = new ArrayList<>();
            for (int k = 0; k < h.childColumns().size(); k++) {
                on.add(alias + "." + Sql.ident(h.parentColumns().get(k)) + " = " + child + "." + Sql.ident(h.childColumns().get(k)));
            }
            f.append(String.join(" AND ", on));
        }
        this.from = f.toString();
        if (table.kind() != TablePlan.Kind.DISTRIBUTED) {
            tenant = null;
        } else if (table.constantTenant()) {
            // a tenant schema's share: every row gets its schema's tenant key
            tenant = Sql.literal(table.tenantValue()) + "::" + Sql.castType(table.columns().get(0).type().sql());
        } else if (table.tenantColumnAdded() && path.isEmpty()) {
            throw new IllegalStateException(table.target() + " is consolidated from tenant schemas: its rows come from its shares (Plan.sourceTables)");
        } else if (table.tenantColumnAdded()) {
            tenant = "p" + path.size() + "." + Sql.ident(table.distributionColumn());
        } else {
            tenant = "t." + Sql.ident(table.distributionColumn());
        }
        List<Column> cols = new ArrayList<>();
        List<String> exprs = new ArrayList<>();
        for (Column c : table.columns()) {
            if (c.generated() != null) continue;
            cols.add(c);
            if (table.tenantColumnAdded() && c.num() == 0) {
                exprs.add(tenant);
                continue;
            }
            Column src = table.source().column(c.name()).orElseThrow();
            String e = "t." + Sql.ident(c.name());
            // a cast rule changed the type: let the source cast it, so both sides agree on the text
            // (a value too long for the new length is left for the target to reject, not truncated)
            if (c.type().userType() == null && !c.type().sql().equals(src.type().sql())) e = e + "::" + Sql.castType(c.type().sql());
            exprs.add(e);
        }
        this.columns = List.copyOf(cols);
        this.expressions = List.copyOf(exprs);
    }

    public TablePlan table() {
        return table;
    }

    /** The target columns COPY fills, quoted. */
    public String targetColumnList() {
        return columns.stream().map(c -> Sql.ident(c.name())).collect(Collectors.joining(", "));
    }

    public String selectList() {
        return String.join(", ", expressions);
    }

    public boolean canHaveOrphans() {
        return tenant != null && !table.constantTenant() && (table.tenantColumnAdded() || !table.source().column(table.distributionColumn()).orElseThrow().notNull());
    }

    private String where(String range, boolean orphans) {
        List<String> w = new ArrayList<>();
        if (canHaveOrphans()) w.add(tenant + (orphans ? " IS NULL" : " IS NOT NULL"));
        if (range != null) w.add(range);
        return w.isEmpty() ? "" : " WHERE " + String.join(" AND ", w);
    }

    /** The rows to load: every row with a tenant key, within the range if one is given. */
    public String select(String range) {
        return "SELECT " + selectList() + fromWhere(range);
    }

    /** FROM (with the back-fill joins) and WHERE of the rows to load. */
    public String fromWhere(String range) {
        return from + where(range, false);
    }

    /**
     * Binary COPY is cheaper for both servers (no text output and parsing of numerics, times,
     * addresses) and exact when both sides have the same types. Arrays and composites carry
     * type OIDs in binary, which differ between databases for user-defined types: those tables
     * go as text.
     */
    public boolean binary() {
        return columns.stream().allMatch(c -> c.type().userType() == null);
    }

    public String copyOut(String range, boolean binary) {
        return "COPY (" + select(range) + ") TO STDOUT" + (binary ? " (FORMAT binary)" : "");
    }

    /** The rows to load, each led by its shard hash (see {@link ShardHash}): for the copy straight to the shards. */
    String copyOutWithShardHash(String range, boolean binary, ShardHash hash) {
        return "COPY (SELECT " + hash.of(tenant) + ", " + selectList() + fromWhere(range) + ") TO STDOUT" + (binary ? " (FORMAT binary)" : "");
    }

    /** COPY into one shard's table on its worker ({@code shardTable} quoted), the same columns as {@link #copyIn}. */
    String copyInto(String shardTable, boolean binary) {
        return "COPY " + shardTable + " (" + targetColumnList() + ") FROM STDIN" + (binary ? " (FORMAT binary)" : "");
    }

    public String copyIn(boolean binary) {
        return "COPY " + table.target().sql() + " (" + targetColumnList() + ") FROM STDIN" + (binary ? " (FORMAT binary)" : "");
    }

    /*
     * Checksums: count(*) and the sum of a per-row hash, computed by each server over its own
     * rows. hash_record_extended hashes each value with its type's hash function (no text
     * output, so it is cheap); types whose hash is missing, or differs between databases (enums
     * hash their OIDs), are hashed as text. Both sides use the same target column types, so they
     * agree value by value. Without hash_record_extended (before PostgreSQL 14) the row's text is
     * hashed instead.
     */
    private static final Set<String> HASHED_BY_TYPE = Set.of("smallint", "integer", "bigint", "real", "double precision",
            "numeric", "boolean", "text", "character varying", "character", "name", "bytea", "date", "time without time zone",
            "time with time zone", "timestamp without time zone", "timestamp with time zone", "interval", "uuid", "jsonb", "inet",
            "cidr", "macaddr", "macaddr8", "oid", "pg_lsn", "int4range", "int8range", "numrange", "daterange", "tsrange", "tstzrange");

    private static String rowHash(List<Column> cols, List<String> exprs, boolean record) {
        if (!record) return "hashtextextended(ROW(" + String.join(", ", exprs) + ")::text, 0)";
        List<String> values = new ArrayList<>();
        for (int i = 0; i < cols.size(); i++) {
            Column c = cols.get(i);
            String base = c.type().withoutTypmod().replace("[]", "");
            values.add(c.type().userType() == null && HASHED_BY_TYPE.contains(base) ? exprs.get(i) : "(" + exprs.get(i) + ")::text");
        }
        return "hash_record_extended(ROW(" + String.join(", ", values) + "), 0)";
    }

    private static String checksum(String hash) {
        return "SELECT count(*), coalesce(sum(" + hash + "), 0)";
    }

    private boolean addedTenant(Column c) {
        return table.tenantColumnAdded() && c.num() == 0;
    }

    /** The hash of a source row over the columns the source itself holds (not an added tenant key). */
    private String ownHash(boolean record) {
        List<Column> cols = new ArrayList<>();
        List<String> exprs = new ArrayList<>();
        for (int i = 0; i < columns.size(); i++) {
            if (addedTenant(columns.get(i))) continue;
            cols.add(columns.get(i));
            exprs.add(expressions.get(i));
        }
        return rowHash(cols, exprs, record);
    }

    /** The names of the target columns COPY fills, in its order (unquoted). */
    List<String> copiedColumnNames() {
        return columns.stream().map(Column::name).toList();
    }

    /** Whether the COPY's i-th column is the tenant key the plan added. */
    boolean addedTenant(int i) {
        return addedTenant(columns.get(i));
    }

    /**
     * One row hashed as {@link #checksumOfSourceRows} hashes it ({@link #checksumOfProjection}
     * with {@code withAddedTenant}), from its values as COPY's text gave them: one {@code ?}
     * (text) per copied column, an added tenant key's only {@code withAddedTenant}, in COPY's order.
     */
    String checksumOfValues(boolean record, boolean withAddedTenant) {
        List<Column> cols = new ArrayList<>();
        List<String> exprs = new ArrayList<>();
        for (Column c : columns) {
            if (addedTenant(c) && !withAddedTenant) continue;
            cols.add(c);
            exprs.add("CAST(CAST(? AS text) AS " + Sql.castType(c.type().sql()) + ")");
        }
        return checksum(rowHash(cols, exprs, record));
    }

    /** Every row of the source table, hashed over the columns it holds itself: no join. */
    public String checksumOfSourceRows(boolean record) {
        return checksum(ownHash(record)) + ownRows();
    }

    /**
     * The orphans, counted and hashed as {@link #checksumOfSourceRows} hashes them. With
     * {@code nullKeysOnly} (the parent has no orphans and {@link #firstHopForeignKey} holds) they
     * are the rows with a NULL in the first hop's columns, read without the joins: on a big table
     * the joins were most of the orphan check's time.
     */
    public String checksumOfOrphans(boolean record, boolean nullKeysOnly) {
        return checksum(ownHash(record)) + (nullKeysOnly ? ownRows() + orphansWhere(true) : from + orphansWhere(false));
    }

    /** The table's own rows, no joins: FROM with the alias t. */
    private String ownRows() {
        return " FROM " + (table.source().isPartitioned() ? "" : "ONLY ") + table.source().name().sql() + " t";
    }

    /** The WHERE of the orphans: a NULL tenant key along the joins, or a NULL in the first hop's columns (see {@link #checksumOfOrphans}). */
    private String orphansWhere(boolean nullKeysOnly) {
        if (!nullKeysOnly) return where(null, true);
        return " WHERE " + table.backfillPath().get(0).childColumns().stream().map(c -> "t." + Sql.ident(c) + " IS NULL")
                .collect(Collectors.joining(" OR "));
    }

    /**
     * The source's foreign key that proves this table's first hop: validated, on exactly the
     * hop's column pairs, so no row of this table points at a missing parent row. Empty when
     * there is none (the path was derived otherwise, or the key is NOT VALID).
     */
    public Optional<String> firstHopForeignKey() {
        if (tenant == null || table.constantTenant() || table.backfillPath().isEmpty()) return Optional.empty();
        Hop h = table.backfillPath().get(0);
        Set<List<String>> pairs = pairs(h.childColumns(), h.parentColumns());
        return table.source().foreignKeys().stream()
                .filter(fk -> fk.validated() && fk.refTable().equals(h.parent()) && pairs(fk.columns(), fk.refColumns()).equals(pairs))
                .map(ForeignKey::name).findFirst();
    }

    private static Set<List<String>> pairs(List<String> child, List<String> parent) {
        Set<List<String>> out = new java.util.HashSet<>();
        for (int i = 0; i < child.size(); i++) out.add(List.of(child.get(i), parent.get(i)));
        return out;
    }

    /**
     * Whether {@code parent} is this table's first hop's parent reaching the same tenant key along
     * the rest of this table's path: then a row of this table has a tenant key exactly when its
     * parent row does, and if {@code parent} has no orphans (and {@link #firstHopForeignKey} holds),
     * this table's orphans are its rows with a NULL in the first hop's columns.
     */
    public boolean reachesTenantThrough(Projection parent) {
        List<Hop> path = table.backfillPath();
        if (path.isEmpty() || parent.tenant == null || parent.table.constantTenant()) return false;
        return parent.source().equals(path.get(0).parent())
                && parent.table.backfillPath().equals(path.subList(1, path.size()))
                && parent.table.distributionColumn().equals(table.distributionColumn());
    }

    /** The rows to load, back-filled tenant key included (what the target must hold). */
    public String checksumOfProjection(boolean record) {
        return checksum(rowHash(columns, expressions, record)) + fromWhere(null);
    }

    /** The target's rows, with or without a tenant key the plan added. */
    public String checksumOfTarget(boolean withAddedTenant, boolean record) {
        List<Column> cols = columns.stream().filter(c -> withAddedTenant || !addedTenant(c)).toList();
        List<String> exprs = cols.stream().map(c -> "t." + Sql.ident(c.name())).toList();
        return checksum(rowHash(cols, exprs, record)) + " FROM " + table.target().sql() + " t" + shareOnly();
    }

    /** For a tenant schema's share, the WHERE that keeps the target's rows to its tenant's; else nothing. */
    public String shareOnly() {
        return table.constantTenant() ? " WHERE t." + Sql.ident(table.distributionColumn()) + " = " + tenant : "";
    }

    /** The first orphans' keys, for the report ({@code nullKeysOnly} as for {@link #checksumOfOrphans}). */
    public String sampleOrphans(int n, boolean nullKeysOnly) {
        return "SELECT " + keyList("t") + (nullKeysOnly ? ownRows() : from) + orphansWhere(nullKeysOnly) + " ORDER BY " + keyList("t") + " LIMIT " + n;
    }

    /** All orphans with the reason, as CSV, for the reject file ({@code nullKeysOnly} as for {@link #checksumOfOrphans}). */
    public String copyOrphansOut(boolean nullKeysOnly) {
        StringBuilder reason = new StringBuilder("CASE");
        List<Hop> path = table.backfillPath();
        for (int i = 0; i < path.size(); i++) {
            Hop h = path.get(i);
            String child = i == 0 ? "t" : "p" + i;
            String cols = String.join(", ", h.childColumns());
            reason.append(" WHEN ").append(h.childColumns().stream().map(c -> child + "." + Sql.ident(c) + " IS NULL").collect(Collectors.joining(" OR ")))
                    .append(" THEN ").append(Sql.literal(h.child().name() + "." + cols + " is NULL"))
                    .append(" WHEN p").append(i + 1).append('.').append(Sql.ident(h.parentColumns().get(0))).append(" IS NULL THEN ")
                    .append(Sql.literal(h.child().name() + "." + cols + " has no row in " + h.parent().name()));
        }
        reason.append(" ELSE ").append(Sql.literal(table.distributionColumn() + " is NULL")).append(" END");
        return "COPY (SELECT t.*, " + reason + " AS citus_migrate_reason" + from + orphansWhere(nullKeysOnly)
                + ") TO STDOUT (FORMAT csv, HEADER)";
    }

    /** The primary key columns of the source, or every column when there is none. */
    List<String> keyColumns() {
        return table.source().primaryKey().map(pk -> pk.columns())
                .orElse(table.source().columns().stream().map(Column::name).toList());
    }

    private String keyList(String alias) {
        return keyColumns().stream().map(c -> alias + "." + Sql.ident(c)).collect(Collectors.joining(", "));
    }

    /** A ctid range of pages [from, to); to &lt; 0 means open-ended. */
    public static String ctidRange(long fromPage, long toPage) {
        String lo = "t.ctid >= '(" + fromPage + ",0)'::tid";
        return toPage < 0 ? lo : lo + " AND t.ctid < '(" + toPage + ",0)'::tid";
    }

    public QualifiedName source() {
        return table.source().name();
    }
}
