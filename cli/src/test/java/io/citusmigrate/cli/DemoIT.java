package io.citusmigrate.cli;

import io.citusmigrate.testing.CitusTarget;
import io.citusmigrate.testing.EmbeddedPg;
import org.junit.jupiter.api.Test;

import java.io.StringWriter;
import java.sql.SQLException;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** `demo`: the whole live migration with an application writing, on embedded databases and on the test's Citus. */
@org.junit.jupiter.api.extension.ExtendWith(io.citusmigrate.testing.SourceAndCitus.class) // its source and the best Citus there is
class DemoIT {
    static EmbeddedPg pg;
    static CitusTarget citus;



    @Test
    void aRehearsalOnEmbeddedDatabasesEndsEqualWithItsDowntime() {
        Run r = Run.of(new StringWriter(), "demo", "--scale", "0.002", "--rate", "20", "--stream-seconds", "3");
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("in REHEARSAL mode: it has no Citus, so nothing is distributed there"), r.out());
        assertTrue(r.out().contains("streaming changes from slot citus_migrate_demo"), r.out());
        assertTrue(r.out().contains("cutover done in "), r.out());
        assertTrue(r.out().matches("(?s).*application: +\\d+ transactions \\(\\d+ tenant moves, \\d+ new tenants\\).*"), r.out());
        assertTrue(r.out().contains("verification:           equal"), r.out());
        assertTrue(r.out().strip().matches("(?s).*write downtime: +\\d+\\.\\d s .*"), r.out());
    }

    @Test
    void intoTheTestsCitusAndNothingLeftBehind() throws SQLException {
        Run r = Run.of(new StringWriter(), "demo", "--scale", "0.002", "--rate", "20", "--stream-seconds", "3", "--target", citus.url());
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("verification:           equal"), r.out());
        assertTrue(!r.out().contains("REHEARSAL") && r.out().contains(", Citus "), "migrated into Citus: " + r.out());
        assertEquals(List.of(), citus.rows("select 1 from pg_namespace where nspname = 'citus_migrate_demo'"), "the demo's schema is dropped");
    }
}
