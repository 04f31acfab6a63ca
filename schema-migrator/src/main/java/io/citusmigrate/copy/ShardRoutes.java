package io.citusmigrate.copy;

import io.citusmigrate.UserError;
import io.citusmigrate.db.Databases;
import io.citusmigrate.catalog.Column;
import io.citusmigrate.catalog.QualifiedName;
import io.citusmigrate.load.ConnectionUrl;
import io.citusmigrate.load.LoadCommand;
import io.citusmigrate.plan.TablePlan;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Which tables' rows go straight to the shards on the workers, and where those are: read from
 * the coordinator's metadata (pg_dist_partition, pg_dist_shard, pg_dist_placement, pg_dist_node)
 * when the bulk load starts. The rest goes through the coordinator: every table when the target
 * is not Citus or a worker cannot be reached with the target URL's credentials; reference,
 * local and schema-sharded tables, tables distributed by a type whose hash the source cannot
 * compute, and tables with replicated shards. Before a table is routed, the source's hash of a
 * few sample values must land in the very shards Citus names for them
 * ({@code get_shard_id_for_distribution_column}): a row in the wrong shard would be lost to
 * every query by its tenant key.
 */
final class ShardRoutes {
    private final Map<String, ShardMap> maps; // by target table
    private final String summary;

    private ShardRoutes(Map<String, ShardMap> maps, String summary) {
        this.maps = maps;
        this.summary = summary;
    }

    /** Every table through the coordinator, for this reason. */
    static ShardRoutes coordinatorOnly(String why) {
        return new ShardRoutes(Map.of(), "rows through the coordinator: " + why);
    }

    /** The shards of {@code p} when its rows go straight to the workers; null when they go through the coordinator. */
    ShardMap of(Projection p) {
        return maps.get(p.table().target().toString());
    }

    /** One line for the console: the route taken, and why not the other. */
    String summary() {
        return summary;
    }

    /** The URL of a node: the target URL's database, user, password and parameters on the node's host and port. */
    static ConnectionUrl urlOf(ConnectionUrl target, Node n) {
        return new ConnectionUrl(n.host(), n.port(), target.database(), target.user(), target.password(), target.params());
    }

    static ShardRoutes find(LoadCommand cmd, Collection<Projection> tables) {
        try (Connection target = Databases.target(cmd); Connection source = Databases.connect("source", cmd.source())) {
            if (!isCitus(target)) return coordinatorOnly("the target is not Citus (it has no shard placements)");
            Map<String, ShardMap> maps = new LinkedHashMap<>();
            Map<String, List<String>> notRouted = new LinkedHashMap<>();
            for (Projection p : tables) {
                String why = route(p, target, source, maps);
                if (why != null) notRouted.computeIfAbsent(why, k -> new ArrayList<>()).add(p.table().target().toString());
            }
            if (maps.isEmpty()) return coordinatorOnly(notRouted.isEmpty() ? "no tables" : reasons(notRouted));
            Set<Node> nodes = new LinkedHashSet<>();
            maps.values().forEach(m -> nodes.addAll(m.nodes()));
            for (Node n : nodes) {
                Optional<String> unreachable = check(cmd, n, maps);
                if (unreachable.isPresent()) return coordinatorOnly(unreachable.get());
            }
            return new ShardRoutes(maps, "rows of " + maps.size() + " distributed tables straight to their shards on "
                    + nodes.size() + " workers (" + String.join(", ", nodes.stream().map(Node::toString).toList()) + ")"
                    + (notRouted.isEmpty() ? "" : "; through the coordinator: " + reasons(notRouted)));
        } catch (SQLException e) {
            throw new UserError("reading the target's shard placements failed: " + Databases.oneLine(e, cmd.target()));
        }
    }

    private static String reasons(Map<String, List<String>> notRouted) {
        List<String> out = new ArrayList<>();
        notRouted.forEach((why, names) -> out.add(String.join(", ", names) + " (" + why + ")"));
        return String.join("; ", out);
    }

    private static boolean isCitus(Connection target) throws SQLException {
        return "t".equals(Databases.column(target, "SELECT to_regclass('pg_catalog.pg_dist_shard') IS NOT NULL"
                + " AND to_regclass('pg_catalog.pg_dist_placement') IS NOT NULL AND to_regclass('pg_catalog.pg_dist_node') IS NOT NULL").get(0));
    }

    /** Adds the table's shard map, or says why its rows go through the coordinator. */
    private static String route(Projection p, Connection target, Connection source, Map<String, ShardMap> maps) throws SQLException {
        TablePlan t = p.table();
        if (t.kind() != TablePlan.Kind.DISTRIBUTED) return t.kind().label() + " table";
        Column column = t.columns().stream().filter(c -> c.name().equals(t.distributionColumn())).findFirst().orElse(null);
        Optional<ShardHash> hash = column == null ? Optional.empty() : ShardHash.forType(column.type());
        if (hash.isEmpty()) return "distributed by a type whose hash is not computed on the source";
        List<String[]> rows = Databases.rows(target, """
                SELECT s.shardid, s.shardminvalue, s.shardmaxvalue, i.name[cardinality(i.name)], n.nodename, n.nodeport,
                       count(*) OVER (PARTITION BY s.shardid)
                FROM pg_dist_partition d
                JOIN pg_dist_shard s ON s.logicalrelid = d.logicalrelid
                CROSS JOIN LATERAL (SELECT parse_ident(shard_name(s.logicalrelid, s.shardid)) AS name) i
                JOIN pg_dist_placement pl ON pl.shardid = s.shardid
                JOIN pg_dist_node n ON n.groupid = pl.groupid AND n.noderole = 'primary'
                WHERE d.logicalrelid = CAST(? AS regclass) AND d.partmethod = 'h'""", t.target().sql());
        if (rows.isEmpty()) return "not hash-distributed on the target";
        List<ShardMap.Shard> shards = new ArrayList<>();
        for (String[] r : rows) {
            if (Long.parseLong(r[6]) > 1) return "its shards have more than one placement";
            shards.add(new ShardMap.Shard(Long.parseLong(r[0]), Integer.parseInt(r[1]), Integer.parseInt(r[2]),
                    QualifiedName.of(t.target().schema(), r[3]).sql(), new Node(r[4], Integer.parseInt(r[5]))));
        }
        ShardMap map;
        try {
            map = new ShardMap(hash.get(), shards);
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
        if (!sameShards(p, map, target, source)) return "the source's " + hash.get().function() + " does not place rows as Citus does";
        maps.put(t.target().toString(), map);
        return null;
    }

    /** Whether the source's hash of each sample value falls in the shard Citus itself names for it. */
    private static boolean sameShards(Projection p, ShardMap map, Connection target, Connection source) throws SQLException {
        List<String> samples = map.hash().samples();
        Map<String, Integer> hashes = new LinkedHashMap<>();
        try (PreparedStatement ps = source.prepareStatement("SELECT v, " + map.hash().of("v") + " FROM unnest(?::text[]) v")) {
            ps.setArray(1, source.createArrayOf("text", samples.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) hashes.put(rs.getString(1), rs.getInt(2));
            }
        }
        try (PreparedStatement ps = target.prepareStatement(
                "SELECT v, get_shard_id_for_distribution_column(CAST(? AS regclass), v) FROM unnest(?::text[]) v")) {
            ps.setString(1, p.table().target().sql());
            ps.setArray(2, target.createArrayOf("text", samples.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    Integer h = hashes.get(rs.getString(1));
                    if (h == null || map.shard(map.shardOf(h)).id() != rs.getLong(2)) return false;
                }
            }
        }
        return hashes.size() == samples.size();
    }

    /**
     * Empty when the tool can write the shards on {@code n}: it connects with the target URL's
     * credentials and finds every shard table there, with INSERT on it; else why not.
     */
    static Optional<String> check(LoadCommand cmd, Node n, Map<String, ShardMap> maps) {
        ConnectionUrl url = urlOf(cmd.target(), n);
        Connection c;
        try {
            c = Databases.connect("worker", url);
        } catch (UserError e) {
            return Optional.of("worker " + n + " is not reachable with the target URL's credentials (" + e.getMessage() + ")");
        }
        try (c) {
            List<String> names = new ArrayList<>();
            for (ShardMap m : maps.values()) {
                for (int i = 0; i < m.shardCount(); i++) if (m.nodes().get(m.nodeOf(i)).equals(n)) names.add(m.shard(i).table());
            }
            try (PreparedStatement ps = c.prepareStatement("SELECT s FROM unnest(?::text[]) s"
                    + " WHERE to_regclass(s) IS NULL OR NOT has_table_privilege(s, 'INSERT') LIMIT 1")) {
                ps.setArray(1, c.createArrayOf("text", names.toArray()));
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) return Optional.of("worker " + n + " has no shard " + rs.getString(1) + " the target URL's user can insert into");
                }
            }
            return Optional.empty();
        } catch (SQLException e) {
            return Optional.of("worker " + n + " failed: " + Databases.oneLine(e, url));
        }
    }
}
