package io.citusmigrate.live;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;

/**
 * citus_migrate.deployments on the target: the Connect cluster (its REST URL, never a password)
 * and the connectors' name prefix that `deploy` put a migration on, by slot. `cutover`, `status`
 * and `cleanup` of the command file find the deployment here without `--connect`.
 */
public final class DeploymentRecord {
    public static final String TABLE = "citus_migrate.deployments";

    /** A deployment: the cluster's REST URL and the connectors' name prefix. */
    public record Deployment(String connectUrl, String name) {}

    private DeploymentRecord() {}

    private static void create(Connection target) throws SQLException {
        ProgressCatalog.ensure(target);
    }

    public static void save(Connection target, String slot, String connectUrl, String name) throws SQLException {
        create(target);
        try (PreparedStatement ps = target.prepareStatement("INSERT INTO " + TABLE + " (slot, connect_url, name) VALUES (?, ?, ?)"
                + " ON CONFLICT (slot) DO UPDATE SET connect_url = EXCLUDED.connect_url, name = EXCLUDED.name, deployed_at = now()")) {
            ps.setString(1, slot);
            ps.setString(2, connectUrl);
            ps.setString(3, name);
            ps.executeUpdate();
        }
    }

    public static Optional<Deployment> read(Connection target, String slot) throws SQLException {
        try (PreparedStatement ps = target.prepareStatement("SELECT pg_catalog.to_regclass(?) IS NOT NULL")) {
            ps.setString(1, TABLE);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next() || !rs.getBoolean(1)) return Optional.empty();
            }
        }
        try (PreparedStatement ps = target.prepareStatement("SELECT connect_url, name FROM " + TABLE + " WHERE slot = ?")) {
            ps.setString(1, slot);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(new Deployment(rs.getString(1), rs.getString(2))) : Optional.empty();
            }
        }
    }

    public static void forget(Connection target, String slot) throws SQLException {
        create(target);
        try (PreparedStatement ps = target.prepareStatement("DELETE FROM " + TABLE + " WHERE slot = ?")) {
            ps.setString(1, slot);
            ps.executeUpdate();
        }
    }
}
