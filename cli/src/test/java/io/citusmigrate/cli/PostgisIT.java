package io.citusmigrate.cli;

import io.citusmigrate.testing.CitusTarget;
import io.citusmigrate.testing.EmbeddedPg;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * PostGIS values through a live migration into real Citus: geometry and geography columns
 * (points, polygons, SRIDs, a 3-D point, an empty geometry), inserted and updated while the
 * stream runs, and a row moving tenant. The source is a plain database beside the cluster the
 * tests start (zonky's PostgreSQL has no PostGIS); without that cluster, or without PostGIS
 * installed for its PostgreSQL, the test is skipped and says why.
 */
@org.junit.jupiter.api.Timeout(value = 240)
class PostgisIT {
    @TempDir
    Path dir;

    @Test
    void geometryAndGeographyArriveExactlyThroughALiveMigration() throws Exception {
        try (EmbeddedPg pg = EmbeddedPg.start(); CitusTarget citus = CitusTarget.open(pg)) {
            var sourceUrl = citus.plainSourceBeside("postgis");
            assumeTrue(sourceUrl.isPresent(), "needs the Citus cluster the tests start (its coordinator holds the source)");
            try (Connection src = DriverManager.getConnection(sourceUrl.get()); Statement s = src.createStatement()) {
                try {
                    s.execute("CREATE EXTENSION postgis");
                } catch (SQLException e) {
                    assumeTrue(false, "PostGIS is not installed for the cluster's PostgreSQL: " + e.getMessage());
                }
                s.execute("""
                        create table tenant (id int primary key, name text not null);
                        create table place (id int primary key, tenant_id int not null references tenant, spot geometry(Point, 4326),
                            area geography(Polygon, 4326), anything geometry, height geometry(PointZ, 3857));
                        insert into tenant select g, 't' || g from generate_series(1, 4) g;
                        insert into place select g, g % 4 + 1, ST_SetSRID(ST_MakePoint(g * 0.001, -g * 0.5), 4326),
                            ST_GeogFromText('SRID=4326;POLYGON((0 0, 1 0, 1 1, 0 ' || g * 0.01 || ', 0 0))'),
                            CASE WHEN g % 3 = 0 THEN 'LINESTRING(0 0, 1 1)'::geometry WHEN g % 3 = 1 THEN 'POINT EMPTY'::geometry END,
                            ST_SetSRID(ST_MakePoint(g, g, g * 1.5), 3857)
                          from generate_series(1, 200) g;
                        """);
            }
            try (Connection t = citus.connect(); Statement s = t.createStatement()) {
                s.execute("CREATE EXTENSION IF NOT EXISTS postgis"); // Citus makes it on the workers too
            }
            String schema = citus.newSchema("postgis");
            String source = sourceUrl.get().replace("jdbc:postgresql://", "postgresql://postgres@").replace("?user=postgres", "");
            Path file = dir.resolve("postgis.load");
            Files.writeString(file, """
                    load database from %s into %s with include drop, slot name = 'cm_postgis_test'
                      alter schema 'public' rename to '%s' distribute tenant using id;
                    """.formatted(source, citus.url(), schema));
            StringWriter out = new StringWriter();
            CompletableFuture<Run> migrate = CompletableFuture.supplyAsync(() -> Run.of(out, "migrate", file.toString()));
            long deadline = System.currentTimeMillis() + 120_000;
            while (!out.toString().contains("streaming changes from slot")) {
                if (migrate.isDone() || System.currentTimeMillis() > deadline) throw new AssertionError("migrate: " + (migrate.isDone() ? migrate.get() : out));
                Thread.sleep(100);
            }
            try (Connection src = DriverManager.getConnection(sourceUrl.get()); Statement s = src.createStatement()) {
                s.execute("""
                        insert into place values (1001, 2, 'SRID=4326;POINT(-71.060316 48.432044)', 'SRID=4326;POLYGON((-1 -1, 2 -1, 2 2, -1 -1))',
                            'SRID=2154;MULTIPOLYGON(((0 0, 4 0, 4 4, 0 4, 0 0), (1 1, 2 1, 2 2, 1 2, 1 1)))', 'SRID=3857;POINT Z (1 2 3)');
                        update place set spot = ST_SetSRID(ST_MakePoint(179.999999, -89.5), 4326), anything = 'GEOMETRYCOLLECTION EMPTY' where id <= 10;
                        update place set tenant_id = 4 where id = 20;
                        delete from place where id = 30;
                        """);
            }
            Run cutover = Run.of("cutover", file.toString(), "--timeout", "120", "--max-lag", "off");
            assertEquals(0, cutover.code(), cutover.out() + cutover.err() + "\nmigrate said:\n" + out);
            assertEquals(0, migrate.get(120, TimeUnit.SECONDS).code(), out.toString());
            String q = "select p::text from %splace p order by id";
            List<String> expected = new ArrayList<>();
            try (Connection src = DriverManager.getConnection(sourceUrl.get()); Statement s = src.createStatement();
                 ResultSet rs = s.executeQuery(q.formatted(""))) {
                while (rs.next()) expected.add(rs.getString(1));
            }
            assertEquals(200, expected.size());
            assertEquals(expected, citus.rows(q.formatted(schema + ".")), "every row, as PostgreSQL prints it, on both sides");
            Run verify = Run.of("verify", file.toString());
            assertEquals(0, verify.code(), verify.out() + verify.err());
        }
    }
}
