package io.citusmigrate.copy;

import io.citusmigrate.sql.Sql;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * The database's large objects, carried with their oids (rows hold them) by the server-side
 * {@code lo_get} / {@code lo_put} in chunks, with their owner and grants. Tables keep only the
 * oids: without this, the target's rows would point at nothing. On Citus they live on the
 * coordinator, as on any PostgreSQL (seen on Citus 13.2.2). Every SQL text about them is here.
 */
public final class LargeObjects {
    private static final int CHUNK = 1 << 20;

    /**
     * One row per large object in oid order: its oid and a 64-bit hash of its content, owner and
     * grants, computed on the server so that only 16 bytes per object travel. A superuser owner and
     * the owner's own grants are left out: the target's objects belong to whoever runs the copy.
     */
    private static final String DIGESTS = """
            SELECT m.oid::bigint,
                   ('x' || substr(md5(md5(pg_catalog.lo_get(m.oid)) || '/' || CASE WHEN o.rolsuper THEN '' ELSE o.rolname::text END || '/'
                          || coalesce((SELECT string_agg(pg_catalog.pg_get_userbyid(a.grantee) || ':' || a.privilege_type || ':' || a.is_grantable,
                                                         ',' ORDER BY pg_catalog.pg_get_userbyid(a.grantee), a.privilege_type)
                                         FROM pg_catalog.aclexplode(m.lomacl) a WHERE a.grantee <> m.lomowner), '')), 1, 16))::bit(64)::bigint
              FROM pg_catalog.pg_largeobject_metadata m JOIN pg_catalog.pg_roles o ON o.oid = m.lomowner
             ORDER BY 1""";
    private static final String OIDS = "SELECT oid::bigint FROM pg_catalog.pg_largeobject_metadata ORDER BY 1";
    private static final String OWNER_AND_GRANTS = """
            SELECT pg_catalog.pg_get_userbyid(m.lomowner), o.rolsuper,
                   (SELECT array_agg(CASE WHEN a.grantee = 0 THEN NULL ELSE pg_catalog.pg_get_userbyid(a.grantee) END
                                     ORDER BY a.grantee, a.privilege_type)
                      FROM pg_catalog.aclexplode(m.lomacl) a WHERE a.grantee <> m.lomowner),
                   (SELECT array_agg(a.privilege_type ORDER BY a.grantee, a.privilege_type)
                      FROM pg_catalog.aclexplode(m.lomacl) a WHERE a.grantee <> m.lomowner),
                   (SELECT array_agg(a.is_grantable ORDER BY a.grantee, a.privilege_type)
                      FROM pg_catalog.aclexplode(m.lomacl) a WHERE a.grantee <> m.lomowner)
              FROM pg_catalog.pg_largeobject_metadata m JOIN pg_catalog.pg_roles o ON o.oid = m.lomowner
             WHERE m.oid = ?::oid""";

    private LargeObjects() {}

    /** What one side holds: oids ascending, each with its digest. */
    private record Digests(long[] oids, long[] hashes) {}

    /** How the target's large objects compare with the source's. */
    public record Comparison(long sourceCount, long targetCount, List<Long> toCopy, List<Long> targetOnly) {
        public boolean equal() {
            return toCopy.isEmpty() && targetOnly.isEmpty();
        }

        /** One line naming the difference, or null. */
        public String problem() {
            if (equal()) return null;
            List<String> parts = new ArrayList<>();
            if (!toCopy.isEmpty()) parts.add(toCopy.size() + " missing or different on the target (e.g. oid " + toCopy.get(0) + ")");
            if (!targetOnly.isEmpty()) parts.add(targetOnly.size() + " only on the target (e.g. oid " + targetOnly.get(0) + ")");
            return "large objects: " + String.join(", ", parts);
        }
    }

    /** What a sync did. */
    public record Sync(long count, int copied, int unlinked) {
        /** For a cutover's last line: empty when there are none. */
        public String phrase() {
            if (count == 0 && unlinked == 0) return "";
            return ", " + count + " large objects equal to the source's (" + copied + " copied" + (unlinked > 0 ? ", " + unlinked + " unlinked" : "") + ")";
        }
    }

    /** The number of large objects a database holds. */
    public static long count(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_catalog.pg_largeobject_metadata")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** Both sides read at once (they are different servers). The source may be in a snapshot. */
    public static Comparison compare(Connection source, Connection target) throws SQLException {
        CompletableFuture<Digests> src = CompletableFuture.supplyAsync(() -> {
            try {
                return digests(source);
            } catch (SQLException e) {
                throw new CompletionException(e);
            }
        });
        Digests tgt = digests(target);
        Digests s;
        try {
            s = src.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof SQLException q) throw q;
            throw e;
        }
        List<Long> toCopy = new ArrayList<>();
        List<Long> targetOnly = new ArrayList<>();
        int i = 0, j = 0;
        while (i < s.oids.length || j < tgt.oids.length) {
            if (j == tgt.oids.length || (i < s.oids.length && s.oids[i] < tgt.oids[j])) {
                toCopy.add(s.oids[i++]);
            } else if (i == s.oids.length || tgt.oids[j] < s.oids[i]) {
                targetOnly.add(tgt.oids[j++]);
            } else {
                if (s.hashes[i] != tgt.hashes[j]) toCopy.add(s.oids[i]);
                i++;
                j++;
            }
        }
        return new Comparison(s.oids.length, tgt.oids.length, List.copyOf(toCopy), List.copyOf(targetOnly));
    }

    /**
     * Makes the target's large objects the source's: those missing or different copied, those the
     * source no longer has unlinked. Each object in a target transaction of its own.
     */
    public static Sync sync(Connection source, Connection target) throws SQLException {
        Comparison c = compare(source, target);
        for (long oid : c.toCopy()) copy(source, target, oid);
        for (long oid : c.targetOnly()) io.citusmigrate.db.Databases.inTransaction(target, () -> unlink(target, oid));
        return new Sync(c.sourceCount(), c.toCopy().size(), c.targetOnly().size());
    }

    /**
     * While streaming: the large objects the source has and the target not yet, copied (the
     * application writes one, then the row pointing at it). Oids only are compared, which is
     * cheap; content changed in place is the cutover's {@link #sync} to find. Returns how many.
     */
    public static int copyNew(Connection source, Connection target) throws SQLException {
        long[] have = digests(target, OIDS).oids();
        int copied = 0;
        for (long oid : digests(source, OIDS).oids()) {
            if (Arrays.binarySearch(have, oid) >= 0) continue;
            copy(source, target, oid);
            copied++;
        }
        return copied;
    }

    private static Digests digests(Connection c) throws SQLException {
        return digests(c, DIGESTS);
    }

    private static Digests digests(Connection c, String query) throws SQLException {
        boolean auto = c.getAutoCommit();
        if (auto) c.setAutoCommit(false); // a cursor, not every row at once
        long[] oids = new long[1024];
        long[] hashes = new long[1024];
        int n = 0;
        try (Statement s = c.createStatement()) {
            s.setFetchSize(10_000);
            try (ResultSet rs = s.executeQuery(query)) {
                while (rs.next()) {
                    if (n == oids.length) {
                        oids = Arrays.copyOf(oids, n * 2);
                        hashes = Arrays.copyOf(hashes, n * 2);
                    }
                    oids[n] = rs.getLong(1);
                    hashes[n++] = query == OIDS ? 0 : rs.getLong(2);
                }
            }
        } finally {
            if (auto) {
                c.commit();
                c.setAutoCommit(true);
            }
        }
        return new Digests(Arrays.copyOf(oids, n), Arrays.copyOf(hashes, n));
    }

    /** The object replaced on the target by the source's: content, owner (unless a superuser) and grants. */
    private static void copy(Connection source, Connection target, long oid) throws SQLException {
        io.citusmigrate.db.Databases.inTransaction(target, () -> {
            unlink(target, oid);
            try (PreparedStatement create = target.prepareStatement("SELECT pg_catalog.lo_create(?::oid)")) {
                create.setLong(1, oid);
                create.executeQuery().close();
            }
            try (PreparedStatement get = source.prepareStatement("SELECT pg_catalog.lo_get(?::oid, ?, ?)");
                 PreparedStatement put = target.prepareStatement("SELECT pg_catalog.lo_put(?::oid, ?, ?)")) {
                for (long offset = 0; ; offset += CHUNK) {
                    get.setLong(1, oid);
                    get.setLong(2, offset);
                    get.setInt(3, CHUNK);
                    byte[] chunk;
                    try (ResultSet rs = get.executeQuery()) {
                        rs.next();
                        chunk = rs.getBytes(1);
                    }
                    if (chunk == null || chunk.length == 0) break;
                    put.setLong(1, oid);
                    put.setLong(2, offset);
                    put.setBytes(3, chunk);
                    put.executeQuery().close();
                    if (chunk.length < CHUNK) break;
                }
            }
            ownerAndGrants(source, target, oid);
        });
    }

    private static void ownerAndGrants(Connection source, Connection target, long oid) throws SQLException {
        try (PreparedStatement ps = source.prepareStatement(OWNER_AND_GRANTS)) {
            ps.setLong(1, oid);
            try (ResultSet rs = ps.executeQuery(); Statement s = target.createStatement()) {
                if (!rs.next()) return; // unlinked on the source meanwhile: the next comparison removes it
                String object = "LARGE OBJECT " + oid;
                if (!rs.getBoolean(2)) s.execute("ALTER " + object + " OWNER TO " + Sql.ident(rs.getString(1)));
                if (rs.getArray(3) == null) return;
                String[] grantees = (String[]) rs.getArray(3).getArray();
                String[] privileges = (String[]) rs.getArray(4).getArray();
                Boolean[] grantable = (Boolean[]) rs.getArray(5).getArray();
                for (int i = 0; i < grantees.length; i++) {
                    // a privilege type from aclexplode is SELECT or UPDATE: a keyword, not data
                    String privilege = "UPDATE".equals(privileges[i]) ? "UPDATE" : "SELECT";
                    s.execute("GRANT " + privilege + " ON " + object + " TO " + (grantees[i] == null ? "PUBLIC" : Sql.ident(grantees[i]))
                            + (Boolean.TRUE.equals(grantable[i]) ? " WITH GRANT OPTION" : ""));
                }
            }
        }
    }

    private static void unlink(Connection target, long oid) throws SQLException {
        try (PreparedStatement ps = target.prepareStatement(
                "SELECT pg_catalog.lo_unlink(oid) FROM pg_catalog.pg_largeobject_metadata WHERE oid = ?::oid")) {
            ps.setLong(1, oid);
            ps.executeQuery().close();
        }
    }
}
