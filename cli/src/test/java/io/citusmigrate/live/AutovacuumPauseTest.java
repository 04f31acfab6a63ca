package io.citusmigrate.live;

import io.citusmigrate.testing.CitusTarget;
import io.citusmigrate.testing.EmbeddedPg;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Autovacuum off around a cutover on the tables its foreign keys join, back on after, a user's own setting untouched. */
class AutovacuumPauseTest {
    static EmbeddedPg pg;
    static CitusTarget citus;

    @BeforeAll
    static void start() {
        pg = EmbeddedPg.start();
        citus = CitusTarget.open(pg);
    }

    @AfterAll
    static void stop() throws SQLException {
        citus.close();
        pg.close();
    }

    @Test
    void pausedOnTheTablesAndTheirShardsThenBackOnLeavingAUsersOwnSettingAlone() throws SQLException {
        String schema = citus.track("Auto Vac " + System.nanoTime());
        String q = "\"" + schema + "\"";
        try (Connection c = citus.connect(); Statement s = c.createStatement()) {
            s.execute("CREATE SCHEMA " + q);
            s.execute("CREATE TABLE " + q + ".\"Tenants\" (id bigint PRIMARY KEY)");
            s.execute("CREATE TABLE " + q + ".\"order\" (tenant bigint, id bigint, PRIMARY KEY (tenant, id)) WITH (autovacuum_enabled = true)");
            if (!citus.isStandIn()) {
                s.execute("SELECT create_distributed_table('" + q + ".\"Tenants\"', 'id')");
                s.execute("SELECT create_distributed_table('" + q + ".\"order\"', 'tenant', colocate_with => '" + q + ".\"Tenants\"')");
            }
            List<String> tables = List.of(q + ".\"Tenants\"", q + ".\"order\"");

            assertEquals(1, AutovacuumPause.pause(c, "cm_autovac", tables), "the table with a setting of its own is left as it is");
            assertEquals(List.of("Tenants|{autovacuum_enabled=false}", "order|{autovacuum_enabled=true}"), options(schema));
            if (!citus.isStandIn()) {
                // Citus passes it on to every shard: the workers' autovacuum launchers read it there
                assertEquals(List.of("autovacuum_enabled=false"), citus.rows("SELECT DISTINCT result FROM run_command_on_shards('" + q
                        + ".\"Tenants\"', $$SELECT array_to_string(reloptions, ',') FROM pg_class WHERE oid = '%s'::regclass$$)"));
            }
            assertEquals(1, AutovacuumPause.pause(c, "cm_autovac", tables), "a second cutover finds it paused by the first, not the user's");

            assertEquals(1, AutovacuumPause.resume(c, "cm_autovac"));
            assertEquals(List.of("Tenants|null", "order|{autovacuum_enabled=true}"), options(schema));
            assertEquals(0, AutovacuumPause.resume(c, "cm_autovac"), "nothing left to turn back on");
        }
    }

    private static List<String> options(String schema) throws SQLException {
        return citus.rows("SELECT relname, reloptions FROM pg_class WHERE relnamespace = '\"" + schema + "\"'::regnamespace"
                + " AND relkind = 'r' ORDER BY relname COLLATE \"C\"");
    }
}
