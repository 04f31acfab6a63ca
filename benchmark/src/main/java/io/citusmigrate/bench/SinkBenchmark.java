package io.citusmigrate.bench;

import io.citusmigrate.sink.CitusSinkTask;
import io.citusmigrate.sink.TableRule;
import io.citusmigrate.testing.CitusTarget;
import io.citusmigrate.testing.DebeziumSource;
import io.citusmigrate.testing.EmbeddedPg;
import io.debezium.embedded.Connect;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.debezium.engine.format.ChangeEventFormat;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.sink.SinkTask;
import org.apache.kafka.connect.sink.SinkTaskContext;
import org.apache.kafka.connect.source.SourceRecord;

import java.io.File;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Not a test. The apply rate of the Citus sink and, in the same run, of Debezium's JDBC sink
 * (the reference), on the same Debezium events replayed straight into each task (no broker),
 * for three streams: insert-only, update-heavy, and mixed with deletes.
 *
 * <pre>java -cp benchmark/target/benchmark.jar io.citusmigrate.bench.SinkBenchmark [--events 100000] [--record benchmark/RESULTS.md]</pre>
 */
public final class SinkBenchmark {
    static final int CHUNK = 500; // records per put, as a Connect worker hands them (max.poll.records)

    public static void main(String[] args) throws Exception {
        int events = 100_000;
        Path record = null;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--events")) events = Integer.parseInt(args[++i]);
            if (args[i].equals("--record")) record = Path.of(args[++i]);
        }
        Path jdbcDir = Files.list(Path.of("benchmark/target/jdbc-sink")).filter(Files::isDirectory).findFirst()
                .orElseThrow(() -> new IllegalStateException("build first: mvn -B -Pbench -DskipTests package"));
        StringBuilder report = new StringBuilder(String.format(Locale.ROOT, """
                ### %s, sink apply rate, %d events per stream
                - machine: %s
                - command: `mvn -B -Pbench -DskipTests package && java -cp benchmark/target/benchmark.jar io.citusmigrate.bench.SinkBenchmark --events %d`
                - events: captured once by Debezium 3.6.3's embedded engine (pgoutput) from embedded PostgreSQL 17, replayed into each task in puts of %d, no broker
                - reference: Debezium JDBC sink 3.6.0.Final (insert.mode=upsert, delete.enabled=true, primary.key.mode=record_key, use.reduction.buffer=true)
                - target: %s; a schema per sink, the table distributed on tenant_id
                """, LocalDate.now(), events, BulkLoadBenchmark.machine(), events, CHUNK, "%s"));
        try (EmbeddedPg sourcePg = EmbeddedPg.start(); EmbeddedPg targetPg = EmbeddedPg.start();
             CitusTarget citusA = CitusTarget.open(targetPg); CitusTarget citusB = CitusTarget.open(targetPg)) {
            String described = report.toString().replace("target: %s", "target: " + citusA.description());
            report.setLength(0);
            report.append(described);
            String db = sourcePg.createDatabase("sinkbench");
            String ddl = "create table items (tenant_id bigint not null, id bigint not null, name text not null, qty int not null,"
                    + " price numeric(12,2), updated_at timestamptz not null, primary key (tenant_id, id))";
            sourcePg.exec(db, ddl);
            // a schema per sink: with CITUS_URL both targets are the one database
            String schemaA = citusA.newSchema("sink_a");
            String schemaB = citusB.newSchema("sink_b");
            for (Map.Entry<CitusTarget, String> t : Map.of(citusA, schemaA, citusB, schemaB).entrySet()) {
                try (Connection c = t.getKey().connect(); Statement s = c.createStatement()) {
                    s.execute("create schema " + t.getValue());
                    s.execute("set search_path to " + t.getValue());
                    s.execute(ddl);
                    s.execute("select create_distributed_table('" + t.getValue() + ".items', 'tenant_id')");
                }
            }
            Map<String, String> workloads = new java.util.LinkedHashMap<>();
            int n = events;
            workloads.put("insert-only", "insert into items select g % 100, g, 'item ' || g, g % 7, g * 0.01, now() from generate_series(1, " + n + ") g");
            workloads.put("update-heavy", "insert into items select g % 100, g, 'item ' || g, 0, 1, now() from generate_series(1, " + (n / 10) + ") g;"
                    + " update items set qty = qty + 1, updated_at = now(); update items set qty = qty + 1, updated_at = now();"
                    + " update items set qty = qty + 1, updated_at = now(); update items set qty = qty + 1, updated_at = now();"
                    + " update items set qty = qty + 1, updated_at = now(); update items set qty = qty + 1, updated_at = now();"
                    + " update items set qty = qty + 1, updated_at = now(); update items set qty = qty + 1, updated_at = now();"
                    + " update items set qty = qty + 1, updated_at = now()");
            workloads.put("mixed", "insert into items select g % 100, g, 'item ' || g, g % 7, g * 0.01, now() from generate_series(1, " + (n * 2 / 5) + ") g;"
                    + " update items set qty = qty + 1 where id % 2 = 0; update items set name = name || '!' where id % 4 = 1;"
                    + " delete from items where id % 3 = 0");
            ClassLoader jdbcLoader = pluginLoader(jdbcDir);
            for (Map.Entry<String, String> w : workloads.entrySet()) {
                sourcePg.exec(db, "truncate items");
                List<SinkRecord> records = capture(sourcePg, db, w.getValue());
                for (Map.Entry<CitusTarget, String> t : Map.of(citusA, schemaA, citusB, schemaB).entrySet()) {
                    try (Connection c = t.getKey().connect(); Statement s = c.createStatement()) {
                        s.execute("truncate " + t.getValue() + ".items");
                    }
                }
                double ours = run(citusSink(citusA, schemaA), records);
                double theirs = run(jdbcSink(jdbcLoader, citusB, schemaB), records);
                String sameA = contents(citusA, schemaA);
                String sameB = contents(citusB, schemaB);
                String src = contents(sourcePg, db);
                String line = String.format(Locale.ROOT, "- %s (%d events): Citus sink %.1f s, %.0f events/s; Debezium JDBC sink %.1f s, %.0f events/s;"
                                + " ratio %.1fx; target equals source: citus sink %s, jdbc sink %s%n", w.getKey(), records.size(), ours,
                        records.size() / ours, theirs, records.size() / theirs, theirs / ours, sameA.equals(src), sameB.equals(src));
                System.out.print(line);
                report.append(line);
            }
        }
        System.out.println(report);
        if (record != null) Files.writeString(record, report + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    static String contents(CitusTarget t, String schema) throws Exception {
        try (Connection c = t.connect(); Statement s = c.createStatement()) {
            s.execute("set search_path to " + schema);
            return contents(c);
        }
    }

    static String contents(EmbeddedPg pg, String db) throws Exception {
        try (Connection c = pg.connect(db)) {
            return contents(c);
        }
    }

    static String contents(Connection c) throws Exception {
        try (Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("select count(*) || ':' || coalesce(sum(hashtextextended(row(tenant_id, id, name, qty, price)::text, 0)::numeric), 0) from items")) {
            rs.next();
            return rs.getString(1);
        }
    }

    /** Runs the workload on the source and returns its change events as a worker would deliver them. */
    static List<SinkRecord> capture(EmbeddedPg pg, String db, String workload) throws Exception {
        String slot = "bench_" + System.nanoTime();
        Path offsets = Files.createTempFile(Path.of("target"), "offsets", ".dat");
        Properties p = DebeziumSource.embedded(pg, db, slot, "public.items", offsets);
        p.setProperty("publication.name", slot);
        p.setProperty("snapshot.mode", "no_data");
        // precise decimals: the JDBC sink cannot write string decimals into numeric
        p.setProperty("time.precision.mode", "adaptive_time_microseconds");
        p.setProperty("max.batch.size", "8192");
        p.setProperty("max.queue.size", "32768");
        BlockingQueue<SourceRecord> q = new LinkedBlockingQueue<>();
        CountDownLatch started = new CountDownLatch(1);
        DebeziumEngine<RecordChangeEvent<SourceRecord>> engine = DebeziumEngine.create(ChangeEventFormat.of(Connect.class)).using(p)
                .using(new DebeziumEngine.ConnectorCallback() {
                    @Override
                    public void taskStarted() {
                        started.countDown();
                    }
                })
                .notifying(ev -> q.add(ev.record())).build();
        ExecutorService ex = Executors.newSingleThreadExecutor();
        ex.execute(engine);
        started.await(120, TimeUnit.SECONDS);
        Thread.sleep(2000);
        pg.exec(db, workload);
        List<SinkRecord> out = new ArrayList<>();
        long offset = 0;
        SourceRecord r;
        while ((r = q.poll(5, TimeUnit.SECONDS)) != null) {
            out.add(new SinkRecord(r.topic(), 0, r.keySchema(), r.key(), r.valueSchema(), r.value(), offset++, r.timestamp(), TimestampType.CREATE_TIME));
        }
        engine.close();
        ex.shutdown();
        ex.awaitTermination(60, TimeUnit.SECONDS);
        return out;
    }

    static double run(SinkTask task, List<SinkRecord> records) {
        long t0 = System.nanoTime();
        try {
            for (int i = 0; i < records.size(); i += CHUNK) task.put(records.subList(i, Math.min(records.size(), i + CHUNK)));
            task.put(List.of()); // the JDBC sink reports a failed write only on the next put
            Map<TopicPartition, OffsetAndMetadata> current = new HashMap<>();
            current.put(new TopicPartition(records.get(0).topic(), 0), new OffsetAndMetadata(records.size()));
            task.preCommit(current);
            return (System.nanoTime() - t0) / 1e9;
        } finally {
            task.stop();
        }
    }

    static SinkTask citusSink(CitusTarget t, String schema) {
        Map<String, String> props = new HashMap<>();
        props.put("connection.url", t.jdbcUrl());
        props.put("connection.user", t.user());
        if (t.password() != null) props.put("connection.password", t.password());
        props.put("citus.tables", TableRule.toJson(List.of(new TableRule("public.items", schema, "items", "tenant_id", false,
                List.of("tenant_id", "id"), null, List.of(), false))));
        props.put("sink.name", "bench-" + System.nanoTime());
        CitusSinkTask task = new CitusSinkTask();
        task.initialize(context(props));
        task.start(props);
        return task;
    }

    static SinkTask jdbcSink(ClassLoader loader, CitusTarget t, String schema) throws Exception {
        Map<String, String> props = new HashMap<>();
        props.put("connection.url", t.jdbcUrl() + (t.jdbcUrl().contains("?") ? "&" : "?") + "currentSchema=" + schema);
        props.put("connection.username", t.user());
        props.put("connection.password", t.password() == null ? "" : t.password());
        props.put("insert.mode", "upsert");
        props.put("delete.enabled", "true");
        props.put("primary.key.mode", "record_key");
        props.put("schema.evolution", "none");
        props.put("collection.name.format", schema + ".${source.table}");
        props.put("use.reduction.buffer", "true");
        props.put("batch.size", String.valueOf(CHUNK));
        ClassLoader before = Thread.currentThread().getContextClassLoader();
        Thread.currentThread().setContextClassLoader(loader);
        try {
            Class.forName("org.postgresql.Driver", true, loader); // registers the plugin's own driver
            SinkTask task = (SinkTask) loader.loadClass("io.debezium.connector.jdbc.JdbcSinkConnectorTask").getDeclaredConstructor().newInstance();
            task.initialize(context(props));
            task.start(props);
            return new LoaderBound(task, loader);
        } finally {
            Thread.currentThread().setContextClassLoader(before);
        }
    }

    /** Runs a plugin's task with its class loader as the thread's, as a Connect worker does. */
    static final class LoaderBound extends SinkTask {
        final SinkTask task;
        final ClassLoader loader;

        LoaderBound(SinkTask task, ClassLoader loader) {
            this.task = task;
            this.loader = loader;
        }

        private <T> T in(java.util.function.Supplier<T> f) {
            ClassLoader before = Thread.currentThread().getContextClassLoader();
            Thread.currentThread().setContextClassLoader(loader);
            try {
                return f.get();
            } finally {
                Thread.currentThread().setContextClassLoader(before);
            }
        }

        @Override
        public String version() {
            return task.version();
        }

        @Override
        public void start(Map<String, String> props) {
            in(() -> {
                task.start(props);
                return null;
            });
        }

        @Override
        public void put(java.util.Collection<SinkRecord> records) {
            in(() -> {
                task.put(records);
                return null;
            });
        }

        @Override
        public Map<TopicPartition, OffsetAndMetadata> preCommit(Map<TopicPartition, OffsetAndMetadata> offsets) {
            return in(() -> task.preCommit(offsets));
        }

        @Override
        public void stop() {
            in(() -> {
                task.stop();
                return null;
            });
        }
    }

    /** Child-first, but the Connect API and Kafka stay shared, as in Connect's plugin isolation. */
    static ClassLoader pluginLoader(Path dir) throws Exception {
        List<URL> urls = new ArrayList<>();
        for (File f : dir.toFile().listFiles()) {
            if (f.getName().endsWith(".jar") && !f.getName().startsWith("connect-api") && !f.getName().startsWith("kafka-clients")) {
                urls.add(f.toURI().toURL());
            }
        }
        ClassLoader parent = SinkBenchmark.class.getClassLoader();
        return new URLClassLoader(urls.toArray(URL[]::new), parent) {
            @Override
            protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
                synchronized (getClassLoadingLock(name)) {
                    if (name.startsWith("java.") || name.startsWith("javax.") || name.startsWith("org.apache.kafka.")
                            || name.startsWith("org.slf4j.") || name.startsWith("sun.") || name.startsWith("jdk.")) {
                        return super.loadClass(name, resolve);
                    }
                    Class<?> c = findLoadedClass(name);
                    if (c == null) {
                        try {
                            c = findClass(name);
                        } catch (ClassNotFoundException e) {
                            c = super.loadClass(name, false);
                        }
                    }
                    if (resolve) resolveClass(c);
                    return c;
                }
            }
        };
    }

    static SinkTaskContext context(Map<String, String> props) {
        return new SinkTaskContext() {
            @Override
            public Map<String, String> configs() {
                return props;
            }

            @Override
            public void offset(Map<TopicPartition, Long> offsets) { }

            @Override
            public void offset(TopicPartition tp, long offset) { }

            @Override
            public void timeout(long timeoutMs) { }

            @Override
            public Set<TopicPartition> assignment() {
                return Set.of(new TopicPartition("src.public.items", 0));
            }

            @Override
            public void pause(TopicPartition... partitions) { }

            @Override
            public void resume(TopicPartition... partitions) { }

            @Override
            public void requestCommit() { }

            @Override
            public org.apache.kafka.common.metrics.PluginMetrics pluginMetrics() {
                return null;
            }
        };
    }
}
