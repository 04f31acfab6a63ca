package io.citusmigrate.cli;

import io.citusmigrate.testing.CitusTarget;
import io.citusmigrate.testing.EmbeddedPg;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The orphan policy through Debezium's own snapshot (`snapshot only`), as through the bulk COPY: `skip` writes reject files, `stop` stops in one line. */
@org.junit.jupiter.api.Timeout(value = 240)
@org.junit.jupiter.api.extension.ExtendWith(io.citusmigrate.testing.SourceAndCitus.class) // its source and the best Citus there is
class DebeziumOrphansIT {
    static EmbeddedPg pg;
    static CitusTarget citus;
    @TempDir
    Path dir;

    private String source(String name) {
        String db = pg.createDatabase(name);
        pg.exec(db, """
                create table tenant (id int primary key);
                create table parent (id int primary key, tenant_id int not null references tenant);
                create table child (id int primary key, parent_id int references parent, note text);
                insert into tenant select generate_series(1, 3);
                insert into parent select g, g % 3 + 1 from generate_series(1, 30) g;
                insert into child select g, g % 30 + 1, 'n' || g from generate_series(1, 200) g;
                insert into child values (201, null, 'an orphan, with a comma'), (202, null, null);
                """);
        return db;
    }

    @Test
    void skipWritesTheOrphansToTheRejectFileCountsThemAndTheVerificationAccountsForThem() throws Exception {
        Orphans o = orphans("dbzskip", "snapshot only, ", true);
        String schema = o.schema();
        Run r = Run.of(new StringWriter(), "migrate", o.file().toString());
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("rejected 2 orphan rows of " + schema + ".child to "), r.out());
        assertTrue(r.out().contains(", 2 orphan rows rejected to " + o.rejects()), r.out());
        // as after the bulk COPY: the source's rows less those rejected (202 - 2) against the target's
        assertTrue(r.out().matches("(?s).*" + schema + "\\.child +200 +200 +ok.*"), r.out());
        assertEquals(List.of("200"), citus.rows("select count(*) from " + schema + ".child"));
        List<String> lines = Files.readAllLines(o.rejects().resolve(schema + ".child.reject.csv"));
        assertEquals(3, lines.size(), lines.toString());
        assertTrue(lines.get(0).endsWith("citus_migrate_reason"), lines.toString());
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("201,,\"an orphan, with a comma\",") && l.contains("no path to a tenant")), lines.toString());
        assertFalse(r.err().contains("\tat "), "no stack trace: " + r.err());
        assertEquals(List.of(), pg.rows(o.db(), "select slot_name from pg_replication_slots"), "no slot left behind");
    }

    @Test
    void stopStopsAtTheOrphanInOneLineWithoutAStackTrace() throws Exception {
        Orphans o = orphans("dbzstop", "snapshot only, ", false);
        Run r = Run.of(new StringWriter(), "migrate", o.file().toString());
        assertEquals(1, r.code(), r.out() + r.err());
        assertTrue(r.err().contains("cannot be placed") && r.err().contains("parent_id is NULL: no path to a tenant"), r.err());
        assertFalse(r.err().contains("\tat ") || r.out().contains("\tat "), "no stack trace: " + r.err());
        assertEquals(1, r.err().strip().lines().count(), "one line: " + r.err());
        pg.exec(o.db(), "select pg_drop_replication_slot(slot_name) from pg_replication_slots");
    }

    @Test
    void skipInALiveMigrationWritesTheSnapshotsOrphansToTheRejectFileCountsThemAndStreamsOn() throws Exception {
        Orphans o = orphans("dbzlive", "", true);
        String schema = o.schema();
        Background m = Background.streaming(o.file());
        Run[] result = m.result();
        // the snapshot's rows on the target, its orphans set aside (a migrate busy retrying them does not report its lag yet)
        m.await(() -> citus.rows("select count(*) from " + schema + ".child").equals(List.of("200")));
        pg.exec(o.db(), "insert into child values (203, 1, 'streamed after the snapshot')");
        m.await(() -> citus.rows("select count(*) from " + schema + ".child").equals(List.of("201")));
        m.cutOverAndFinish(o.file());
        assertTrue(result[0].out().contains("2 orphan rows of " + schema + ".child rejected to "), result[0].out());
        assertFalse(result[0].err().contains("\tat ") || result[0].out().contains("\tat "), "no stack trace: " + result[0].err());
        assertEquals(List.of("201"), citus.rows("select count(*) from " + schema + ".child"), "the 200 placed, and the one streamed after");
        List<String> lines = Files.readAllLines(o.rejects().resolve(schema + ".child.reject.csv"));
        assertEquals(3, lines.size(), lines.toString());
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("201,,\"an orphan, with a comma\",")), lines.toString());
        Run verify = Run.of(new StringWriter(), "verify", o.file().toString());
        assertEquals(0, verify.code(), verify.out() + verify.err());
        assertEquals(List.of(), pg.rows(o.db(), "select slot_name from pg_replication_slots"), "no slot left behind");
    }

    /**
     * A source with orphans, its target schema, and a command file taking Debezium's snapshot (slot cm_NAME); with
     * {@code skip}, `on orphan rows skip`, rejecting into rejects, else the default, `stop`.
     */
    private record Orphans(String db, String schema, Path rejects, Path file) {}

    /** {@code mode}: "snapshot only, " or "". */
    private Orphans orphans(String name, String mode, boolean skip) throws java.io.IOException {
        String db = source(name);
        String schema = citus.newSchema(name);
        Path rejects = dir.resolve("rejects");
        return new Orphans(db, schema, rejects, LoadFile.write(dir.resolve(name + ".load"), pg, db, citus, schema, "include drop, " + mode
                + "snapshot method = 'debezium', slot name = 'cm_" + name + "'"
                + (skip ? ", on orphan rows skip, reject directory = '" + rejects + "'" : ""), "distribute tenant using id"));
    }
}
