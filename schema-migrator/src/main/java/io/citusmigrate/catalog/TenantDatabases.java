package io.citusmigrate.catalog;

import io.citusmigrate.UserError;
import io.citusmigrate.db.Databases;
import io.citusmigrate.load.ConnectionUrl;
import io.citusmigrate.load.DistributeRule;
import io.citusmigrate.load.LoadCommand;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The tenant databases of {@code distribute databases matching ...}: the databases of the
 * source's server that the rule matches (the source URL names the server, and a database to
 * list them from), each read on a connection of its own.
 */
public final class TenantDatabases {
    private TenantDatabases() {}

    /** The command file's rule consolidating databases, if it has one. */
    public static Optional<DistributeRule> rule(LoadCommand cmd) {
        return cmd.distribute().stream().filter(DistributeRule::databases).findFirst();
    }

    /** The databases the rule matches, by name (the order their tenant keys are given in). */
    public static List<String> names(LoadCommand cmd) {
        DistributeRule r = rule(cmd).orElseThrow();
        List<String> out = new ArrayList<>();
        try (Connection server = Databases.connect("source", cmd.source()); Statement s = server.createStatement();
             ResultSet rs = s.executeQuery("SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate ORDER BY datname")) {
            while (rs.next()) {
                String db = rs.getString(1);
                if (r.schemas().stream().anyMatch(p -> p.matches(db))) out.add(db);
            }
        } catch (SQLException e) {
            throw new UserError("listing the databases of the source " + cmd.source() + " failed: " + Databases.oneLine(e, cmd.source()));
        }
        return List.copyOf(out);
    }

    /** A tenant database's URL: the source's, with that database. */
    public static ConnectionUrl url(LoadCommand cmd, String database) {
        return cmd.source().withDatabase(database);
    }

    /** Each matched database's catalog, by name, each with the tenant keys the command file's mapping gives (read where the source URL points). */
    public static SortedMap<String, Catalog> catalogs(LoadCommand cmd) {
        java.util.Map<String, Long> map;
        try (Connection server = Databases.connect("source", cmd.source())) {
            map = TenantMapping.read(server, cmd);
        } catch (SQLException e) {
            throw new UserError("reading the tenant mapping on the source " + cmd.source() + " failed: " + Databases.oneLine(e, cmd.source()));
        }
        SortedMap<String, Catalog> out = new TreeMap<>();
        for (String db : names(cmd)) out.put(db, catalog(cmd, db).withTenantMap(map));
        return out;
    }

    /** One tenant database's catalog. */
    public static Catalog catalog(LoadCommand cmd, String database) {
        ConnectionUrl url = url(cmd, database);
        try (Connection c = Databases.connect("source", url)) {
            return new CatalogReader(c).read();
        } catch (SQLException e) {
            throw new UserError("reading the source catalog of " + url + " failed: " + Databases.oneLine(e, url));
        }
    }
}
