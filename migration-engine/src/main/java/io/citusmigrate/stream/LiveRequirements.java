package io.citusmigrate.stream;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * What a live migration needs of the source, read as `plan` shows it before anything is touched:
 * the event trigger that captures schema changes needs a superuser, the slot wal_level=logical
 * and a free replication slot, the stream a free WAL sender. `migrate` refuses to stream without
 * them; a bulk load alone (`with snapshot only`) needs none.
 */
public record LiveRequirements(List<Need> needs) {
    /** One requirement, whether the source meets it, and what the source has now. */
    public record Need(String what, boolean met, String now) {}

    private static final String SQL = "SELECT current_user, (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user),"
            + " pg_catalog.current_setting('wal_level'), pg_catalog.current_setting('max_replication_slots')::int,"
            + " (SELECT count(*) FROM pg_catalog.pg_replication_slots), pg_catalog.current_setting('max_wal_senders')::int,"
            + " (SELECT count(*) FROM pg_catalog.pg_stat_replication)";

    public static LiveRequirements read(Connection source) throws SQLException {
        try (Statement s = source.createStatement(); ResultSet rs = s.executeQuery(SQL)) {
            rs.next();
            String user = rs.getString(1);
            boolean superuser = rs.getBoolean(2);
            String walLevel = rs.getString(3);
            int slots = rs.getInt(4);
            long slotsUsed = rs.getLong(5);
            int senders = rs.getInt(6);
            long sendersUsed = rs.getLong(7);
            return new LiveRequirements(List.of(
                    new Need("a superuser, for the event trigger that captures schema changes while streaming", superuser,
                            user + (superuser ? " is one" : " is not one")),
                    new Need("wal_level = logical, for the replication slot and its snapshot", "logical".equals(walLevel), "wal_level = " + walLevel),
                    new Need("a free replication slot (max_replication_slots)", slotsUsed < slots, slotsUsed + " of " + slots + " in use"),
                    new Need("a free WAL sender (max_wal_senders)", sendersUsed < senders, sendersUsed + " of " + senders + " in use")));
        }
    }

    public boolean met() {
        return needs.stream().allMatch(Need::met);
    }
}
