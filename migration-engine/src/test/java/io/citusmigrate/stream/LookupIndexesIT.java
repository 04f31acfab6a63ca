package io.citusmigrate.stream;

import io.citusmigrate.catalog.CatalogReader;
import io.citusmigrate.load.LoadCommand;
import io.citusmigrate.load.LoadFileParser;
import io.citusmigrate.plan.Plan;
import io.citusmigrate.plan.Planner;
import io.citusmigrate.testing.EmbeddedPg;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The streaming lookup indexes: which tables get them, and how they go after the cutover. */
class LookupIndexesIT {
    @Test
    void droppedConcurrentlyWhileTheApplicationWritesExceptOnAPartitionedTable() throws Exception {
        try (EmbeddedPg pg = EmbeddedPg.start()) {
            String db = pg.createDatabase("lookup");
            pg.exec(db, """
                    create table tenant (id bigint primary key);
                    create table "Item" (id bigint primary key, tenant_id bigint not null references tenant);
                    create table reading (id bigint, item_id bigint not null, at date not null, primary key (id, at)) partition by range (at);
                    create table reading_2024 partition of reading for values from ('2024-01-01') to ('2025-01-01');
                    alter table reading add foreign key (item_id) references "Item";
                    """);
            LoadCommand cmd = LoadFileParser.parse("lookup.load", """
                    load database from %s into postgresql://localhost/target distribute tenant using id;
                    """.formatted(pg.url(db)), name -> null);
            Plan plan;
            try (Connection c = pg.connect(db)) {
                plan = Planner.plan(cmd, new CatalogReader(c).read());
            }
            List<String> drops = LookupIndexes.statements(plan).stream().map(s -> s[1]).sorted().toList();
            assertEquals(List.of(
                    "DROP INDEX CONCURRENTLY IF EXISTS public.\"citus_migrate_key_Item\"",
                    "DROP INDEX IF EXISTS public.citus_migrate_hop_reading",
                    "DROP INDEX IF EXISTS public.citus_migrate_key_reading"), drops);
        }
    }
}
