package io.citusmigrate.sink;

import io.citusmigrate.plan.Plan;
import io.citusmigrate.testing.CitusTarget;
import io.citusmigrate.testing.EmbeddedPg;
import io.citusmigrate.testing.EveryType;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.sink.SinkRecord;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Every built-in type Debezium carries lands equal to the source, compared by row::text. */
@org.junit.jupiter.api.extension.ExtendWith(io.citusmigrate.testing.SourceAndCitus.class) // its source and the best Citus there is
class TypeFidelityIT {
    static EmbeddedPg pg;
    static CitusTarget citus;



    @Test
    void everyTypeRoundTrips() throws Exception {
        String db = pg.createDatabase("types");
        pg.exec(db, EveryType.SCHEMA);
        String schema = citus.newSchema("types");
        Plan plan = TargetSchema.create(pg, db, citus, schema, "distribute tenant using id;");
        Map<String, String> props = TargetSchema.sinkProps(citus, plan, schema);
        props.put("source.connection.url", "jdbc:postgresql://localhost:" + pg.port() + "/" + db);
        props.put("source.connection.password", "postgres");
        CitusSinkTask task = new CitusSinkTask();
        task.start(props);
        try (DebeziumCapture dbz = new DebeziumCapture(pg, db, "types_slot", "public.tenant,public.types", List.of("pair"))) {
            List<SinkRecord> snapshot = dbz.take(5);
            // the same rows again through streaming: inserted with other keys, then updated
            EveryType.CHANGES.forEach(q -> pg.exec(db, q));
            List<SinkRecord> stream = dbz.take(7);
            List<SinkRecord> all = new ArrayList<>(snapshot);
            all.addAll(stream);
            task.put(all);
            Map<TopicPartition, org.apache.kafka.clients.consumer.OffsetAndMetadata> current = new HashMap<>();
            for (SinkRecord r : all) current.put(new TopicPartition(r.topic(), 0), null);
            task.preCommit(current);
        } finally {
            task.stop();
        }
        List<String> source = EveryType.rows(pg.connect(db), "public");
        assertEquals(6 * EveryType.COLUMNS.split(",").length, source.size());
        // With the source settings, FidelityConverter (bit varying, BC dates in the snapshot; geometric
        // types, arrays of any dimension, multiranges and text-search types as PostgreSQL's text) and
        // the source at hand (timetz's offset and money, which Debezium changes, read back), every
        // value is equal by its text.
        assertEquals(List.of(), EveryType.differences(source, EveryType.rows(citus.connect(), schema)));
    }
}
