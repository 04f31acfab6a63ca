package io.citusmigrate.catalog;

import io.citusmigrate.load.DistributeRule;
import io.citusmigrate.load.LoadCommand;
import io.citusmigrate.load.LoadFileException;
import io.citusmigrate.sql.Sql;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The tenant keys a consolidation's {@code from T (N, K)} gives: the rows of the source's table T,
 * each tenant's schema or database name (column N) with its tenant key (column K, an integer).
 * Read on the source database the command file names, as it is now: a tenant that signs up
 * adds its row there.
 */
public final class TenantMapping {
    private TenantMapping() {}

    /** The consolidation rule's mapping, if it has one. */
    public static Optional<DistributeRule.TenantMap> of(LoadCommand cmd) {
        return cmd.distribute().stream().filter(DistributeRule::isConsolidation).map(DistributeRule::tenantMap)
                .filter(java.util.Objects::nonNull).findFirst();
    }

    /** Tenant name to tenant key, from the source the connection is to; empty when the command file gives no mapping. */
    public static Map<String, Long> read(Connection source, LoadCommand cmd) throws SQLException {
        Optional<DistributeRule.TenantMap> m = of(cmd);
        if (m.isEmpty()) return Map.of();
        DistributeRule.TenantMap map = m.get();
        String table = Sql.ident(map.table().schema() == null ? "public" : map.table().schema()) + "." + Sql.ident(map.table().name());
        Map<String, Long> out = new TreeMap<>();
        try (Statement s = source.createStatement();
             ResultSet rs = s.executeQuery("SELECT " + Sql.ident(map.nameColumn()) + "::text, " + Sql.ident(map.keyColumn()) + " FROM " + table
                     + " WHERE " + Sql.ident(map.nameColumn()) + " IS NOT NULL AND " + Sql.ident(map.keyColumn()) + " IS NOT NULL")) {
            int type = rs.getMetaData().getColumnType(2);
            if (type != Types.SMALLINT && type != Types.INTEGER && type != Types.BIGINT) {
                throw new LoadFileException(map.at(), "the tenant mapping's column " + map.table() + "." + map.keyColumn() + " is "
                        + rs.getMetaData().getColumnTypeName(2) + ": a tenant key must be an integer (smallint, integer or bigint)");
            }
            while (rs.next()) {
                Long was = out.put(rs.getString(1), rs.getLong(2));
                if (was != null && was != rs.getLong(2)) {
                    throw new LoadFileException(map.at(), "the tenant mapping " + map + " gives " + rs.getString(1) + " two tenant keys, "
                            + was + " and " + rs.getLong(2));
                }
            }
        } catch (SQLException e) {
            // a table or column the source lacks is the command file's mistake
            if ("42P01".equals(e.getSQLState()) || "42703".equals(e.getSQLState()) || "3F000".equals(e.getSQLState())) {
                throw new LoadFileException(map.at(), "the tenant mapping " + map + " cannot be read on the source: "
                        + io.citusmigrate.db.Databases.oneLine(e, cmd.source()));
            }
            throw e;
        }
        return Map.copyOf(out);
    }
}
