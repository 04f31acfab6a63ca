package io.citusmigrate.progress;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Optional;

/**
 * citus_migrate.deployments on the target: the Connect cluster (its REST URL, never a password)
 * and the connectors' name prefix that `deploy` put a migration on, by slot. `cutover`, `status`
 * and `cleanup` of the command file find the deployment here without `--connect`.
 */
public final class DeploymentRecord {
    public static final String TABLE = ProgressCatalog.SCHEMA + ".deployments";

    /** A deployment: the cluster's REST URL and the connectors' name prefix. */
    public record Deployment(String connectUrl, String name) {}

    private DeploymentRecord() {}

    public static void save(Connection target, String slot, String connectUrl, String name) throws SQLException {
        ProgressCatalog.write(target, "INSERT INTO " + TABLE + " (slot, connect_url, name) VALUES (?, ?, ?)"
                + " ON CONFLICT (slot) DO UPDATE SET connect_url = EXCLUDED.connect_url, name = EXCLUDED.name, deployed_at = now()", slot, connectUrl, name);
    }

    public static Optional<Deployment> read(Connection target, String slot) throws SQLException {
        if (!ProgressCatalog.tableExists(target, "deployments")) return Optional.empty();
        try (PreparedStatement ps = target.prepareStatement("SELECT connect_url, name FROM " + TABLE + " WHERE slot = ?")) {
            ps.setString(1, slot);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(new Deployment(rs.getString(1), rs.getString(2))) : Optional.empty();
            }
        }
    }

    public static void forget(Connection target, String slot) throws SQLException {
        ProgressCatalog.write(target, "DELETE FROM " + TABLE + " WHERE slot = ?", slot);
    }
}
