package io.citusmigrate.copy;

import io.citusmigrate.UserError;
import io.citusmigrate.plan.Consolidation;
import io.citusmigrate.sql.Sql;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;

/**
 * The rows of a consolidation's tenants table: one per tenant schema (or database), its tenant key and its
 * name. They come from the plan, not from a source table, and go in before any tenant's rows
 * (whose foreign keys point at them). A tenant already there keeps its row if it names the same
 * schema; one naming another schema stops the run: the rows written under that key are another tenant's.
 */
public final class TenantRows {
    private TenantRows() {}

    /** The tenants the target's tenants table records, schema to tenant key; none when the table is not there yet. */
    public static Map<String, Long> recorded(Connection target, io.citusmigrate.catalog.QualifiedName tenantsTable, String tenantKey,
                                             String nameColumn) throws SQLException {
        Map<String, Long> out = new HashMap<>();
        try (PreparedStatement ps = target.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
            ps.setString(1, tenantsTable.sql());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                if (!rs.getBoolean(1)) return out;
            }
        }
        try (Statement s = target.createStatement(); ResultSet rs = s.executeQuery("SELECT " + Sql.ident(nameColumn) + ", "
                + Sql.ident(tenantKey) + " FROM " + tenantsTable.sql())) {
            while (rs.next()) out.put(rs.getString(1), rs.getLong(2));
        }
        return out;
    }

    /** Writes the tenants the target lacks; returns how many it holds. */
    public static int write(Consolidation c, Connection target) throws SQLException {
        String key = Sql.ident(c.tenantKey());
        String name = Sql.ident(c.nameColumn());
        Map<Long, String> there = new HashMap<>();
        recorded(target, c.tenantsTable(), c.tenantKey(), c.nameColumn()).forEach((schema, k) -> there.put(k, schema));
        try (PreparedStatement ps = target.prepareStatement("INSERT INTO " + c.tenantsTable().sql() + " (" + key + ", " + name + ") VALUES (?, ?)")) {
            for (Consolidation.Tenant t : c.tenants()) {
                String other = there.get(t.key());
                if (other != null && !other.equals(t.name())) {
                    throw new UserError("the target's " + c.tenantsTable() + " gives tenant key " + t.key() + " to " + c.tenantKind() + " " + other
                            + ", which the plan gives to " + c.tenantKind() + " " + t.name() + "; drop the target's tables (with include drop) and load again");
                }
                if (other != null) continue;
                ps.setLong(1, t.key());
                ps.setString(2, t.name());
                ps.addBatch();
            }
            ps.executeBatch();
        }
        return c.tenants().size();
    }
}
