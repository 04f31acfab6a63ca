package io.citusmigrate.sink;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.citusmigrate.plan.Plan;
import io.citusmigrate.testing.CitusTarget;
import io.citusmigrate.testing.DebeziumSource;
import io.citusmigrate.testing.EmbeddedPg;
import io.citusmigrate.example.ExampleData;
import io.citusmigrate.verify.Verifier;
import org.apache.kafka.connect.util.clusters.EmbeddedConnectCluster;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The connectors on a real Connect worker through its REST API: Debezium's PostgreSQL source
 * into Kafka, the Citus sink out of it, found by plugin.discovery=service_load.
 */
class ConnectClusterIT {
    @Test
    void debeziumAndTheCitusSinkOnAConnectCluster() throws Exception {
        Map<String, String> worker = new HashMap<>();
        worker.put("plugin.discovery", "service_load");
        worker.put("offset.flush.interval.ms", "1000");
        EmbeddedConnectCluster connect = new EmbeddedConnectCluster.Builder().name("citus-migrate").numWorkers(1).numBrokers(1)
                .workerProps(worker).build();
        connect.start();
        try (EmbeddedPg pg = EmbeddedPg.start(); CitusTarget citus = CitusTarget.open(pg)) {
            String db = pg.createDatabase("kafka");
            try (Connection c = pg.connect(db)) {
                ExampleData.generate(c, 0.0005, 0);
            }
            String schema = citus.newSchema("kafka");
            Plan plan = TargetSchema.create(pg, db, citus, schema, "distribute companies using id;");
            HttpClient http = HttpClient.newHttpClient();
            String plugins = http.send(HttpRequest.newBuilder(URI.create(connect.endpointForResource("connector-plugins"))).GET().build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertTrue(plugins.contains("io.citusmigrate.sink.CitusSinkConnector"), plugins);

            Map<String, String> source = DebeziumSource.connector(pg, db, "connect_slot",
                    "public.companies,public.campaigns,public.ads,public.clicks,public.impressions");
            source.put("tasks.max", "1");
            source.put("topic.creation.default.replication.factor", "1");
            source.put("topic.creation.default.partitions", "1");
            DebeziumCapture.fidelitySettings(List.of()).forEach((k, v) -> source.put((String) k, (String) v));
            source.putAll(jsonWithSchemas());
            put(http, connect, "pg-source", source);

            Map<String, String> sink = new LinkedHashMap<>();
            sink.put("connector.class", "io.citusmigrate.sink.CitusSinkConnector");
            sink.put("tasks.max", "1");
            sink.put("topics.regex", "src\\.public\\..*");
            sink.put("connection.url", citus.jdbcUrl());
            sink.put("connection.user", citus.user());
            sink.put("connection.password", citus.password() == null ? "" : citus.password());
            sink.put("source.connection.url", "jdbc:postgresql://localhost:" + pg.port() + "/" + db);
            sink.put("source.connection.password", "postgres");
            sink.put("citus.tables", io.citusmigrate.plan.StreamRules.json(plan));
            sink.put("sink.name", schema);
            sink.putAll(jsonWithSchemas());
            sink.put("consumer.override.auto.offset.reset", "earliest");
            // the topics appear while the sink runs: look for new ones often
            sink.put("consumer.override.metadata.max.age.ms", "1000");
            put(http, connect, "citus-sink", sink);
            connect.assertions().assertConnectorAndExactlyNumTasksAreRunning("citus-sink", 1, "the sink did not start");

            // the passwords are of type PASSWORD: Connect's validate API hides their values
            Map<String, String> probe = new LinkedHashMap<>(sink);
            probe.put("connection.password", "sekret-do-not-show");
            probe.put("name", "probe");
            String validated = http.send(HttpRequest.newBuilder(URI.create(connect.endpointForResource(
                            "connector-plugins/CitusSinkConnector/config/validate"))).header("Content-Type", "application/json")
                    .PUT(HttpRequest.BodyPublishers.ofString(new ObjectMapper().writeValueAsString(probe))).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertTrue(validated.contains("\"name\":\"connection.password\",\"type\":\"PASSWORD\""), validated);
            assertFalse(validated.contains("sekret-do-not-show"), "the password is not echoed");
            assertTrue(validated.contains("\"error_count\":0"), validated);

            pg.exec(db, "update ads set name = 'via kafka' where id = 2; delete from clicks where id = 3;"
                    + " insert into clicks (ad_id, clicked_at, site_url, user_ip, user_data) values (4, now(), 'k', '4.4.4.4', '{}')");
            long deadline = System.currentTimeMillis() + 120_000;
            List<Verifier.TableCheck> checks = List.of();
            while (System.currentTimeMillis() < deadline) {
                try (Connection src = pg.connect(db); Connection tgt = citus.connect()) {
                    checks = Verifier.verify(plan, src, tgt);
                }
                if (checks.stream().allMatch(Verifier.TableCheck::ok)) break;
                Thread.sleep(1000);
            }
            var st = connect.connectorStatus("citus-sink");
            String status = st.tasks().isEmpty() ? "no task" : st.tasks().get(0).state() + " " + st.tasks().get(0).trace()
                    + "; topics: " + connect.kafka().createAdminClient().listTopics().names().get()
                    + "; source: " + connect.connectorStatus("pg-source").tasks().get(0).state() + " " + connect.connectorStatus("pg-source").tasks().get(0).trace();
            for (Verifier.TableCheck c : checks) assertTrue(c.ok(), c.table() + ": " + c.problem() + "; sink status: " + status);
            // the counters are Connect plugin metrics, so JMX shows them
            var jmx = java.lang.management.ManagementFactory.getPlatformMBeanServer();
            var names = jmx.queryNames(new javax.management.ObjectName("kafka.connect:type=plugins,connector=citus-sink,*"), null);
            assertTrue(names.stream().anyMatch(n -> "public.clicks".equals(n.getKeyProperty("table"))), names.toString());
            var general = names.stream().filter(n -> n.getKeyProperty("table") == null).findFirst().orElseThrow();
            assertTrue(((Number) jmx.getAttribute(general, "batches")).doubleValue() > 0, "batches written, seen through JMX");
            connect.deleteConnector("citus-sink");
            connect.deleteConnector("pg-source");
        } finally {
            connect.stop();
        }
    }

    /** The events travel as JSON with their schemas, so the sink gets Structs with Debezium's logical types. */
    private static Map<String, String> jsonWithSchemas() {
        return Map.of("key.converter", "org.apache.kafka.connect.json.JsonConverter", "key.converter.schemas.enable", "true",
                "value.converter", "org.apache.kafka.connect.json.JsonConverter", "value.converter.schemas.enable", "true");
    }

    private static void put(HttpClient http, EmbeddedConnectCluster connect, String name, Map<String, String> config) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(connect.endpointForResource("connectors/" + name + "/config")))
                .header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString(new ObjectMapper().writeValueAsString(config)))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertTrue(r.statusCode() == 201 || r.statusCode() == 200, r.statusCode() + " " + r.body());
    }
}
