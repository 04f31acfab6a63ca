package io.citusmigrate.cli;

import io.citusmigrate.demo.DemoApplication;
import io.citusmigrate.example.ExampleData;
import io.citusmigrate.testing.CitusTarget;
import io.citusmigrate.testing.EmbeddedPg;
import org.apache.kafka.connect.util.clusters.EmbeddedKafkaCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;

/**
 * Not a test, and not run by the suite (its name is no test's): the Connect path measured as the
 * embedded one is (docs/BENCHMARKS.md). A Kafka broker (in this JVM) and a Connect worker in a
 * JVM of its own, loading the plugins from plugin.path; the example data; the demo application
 * writing at {@code bench.rate} transactions/s with tenant moves and sign-ups from before the
 * deploy on; `deploy --sink-tasks N`; Debezium's snapshot, then {@code bench.stream} seconds of
 * streaming: the sink's apply rate (row changes it wrote, from its positions on the target) and the
 * lag (a row updated on the source each second, polled on the target every 10 ms); then
 * `citus-migrate cutover --stop-writes` as its own process, `verify`, and what is left.
 *
 * <pre>mvn -B -DskipTests install && CITUS_URL=... mvn -B -pl cli verify -Dtest=none -Dit.test=ConnectBenchmark
 *   -Dbench.scale=0.05 -Dbench.rate=200 -Dbench.tasks=1 -Dbench.stream=60 -Dbench.record=$PWD/benchmark/RESULTS.md</pre>
 */
class ConnectBenchmark {
    /** Kept under target/ (it says where): the worker's log is what explains a lag. */
    @TempDir(cleanup = org.junit.jupiter.api.io.CleanupMode.NEVER)
    Path dir;

    @Test
    @org.junit.jupiter.api.Timeout(value = 1800)
    void connectPath() throws Exception {
        double scale = Double.parseDouble(System.getProperty("bench.scale", "0.05"));
        int rate = Integer.parseInt(System.getProperty("bench.rate", "200"));
        int tasks = Integer.parseInt(System.getProperty("bench.tasks", "1"));
        int streamSeconds = Integer.parseInt(System.getProperty("bench.stream", "60"));
        String record = System.getProperty("bench.record");
        EmbeddedKafkaCluster kafka = new EmbeddedKafkaCluster(1, new Properties());
        kafka.start();
        try (EmbeddedPg pg = EmbeddedPg.start(); CitusTarget citus = CitusTarget.open(pg);
             ConnectWorker worker = ConnectWorker.start(dir, kafka.bootstrapServers(), citus, "bench")) {
            String db = pg.createDatabase("bench");
            ExampleData.Counts counts;
            try (Connection c = pg.connect(db)) {
                counts = ExampleData.generate(c, scale, 0);
            }
            String schema = citus.newSchema("bench");
            Path file = dir.resolve("bench.load");
            Files.writeString(file, """
                    load database from %s into %s
                      with include drop, reset sequences, slot name = 'bench_connect'
                      cast column impressions.seen_at to "timestamp with time zone"
                      alter schema 'public' rename to '%s'
                      distribute companies using id;
                    """.formatted(pg.url(db), citus.url(), schema));
            DemoApplication app = new DemoApplication(() -> {
                try {
                    return pg.connect(db);
                } catch (java.sql.SQLException e) {
                    throw new IllegalStateException(e);
                }
            }, rate);
            Thread writer = new Thread(app, "application");
            writer.setDaemon(true);
            if (rate > 0) writer.start();

            long t0 = System.nanoTime();
            Run deployed = Run.of("deploy", file.toString(), "--connect", worker.url(), "--sink-tasks", String.valueOf(tasks), "--timeout", "600");
            if (deployed.code() != 0) throw new IllegalStateException(deployed.out() + deployed.err() + "\nworker:\n" + worker.tail());
            // Debezium streams once its snapshot is done: a change made now reaches the target after the whole snapshot
            pg.exec(db, "UPDATE companies SET name = 'after the snapshot' WHERE id = (SELECT min(id) FROM companies)");
            String mark = "SELECT count(*) FROM \"" + schema + "\".companies WHERE name = 'after the snapshot'";
            while (!citus.rows(mark).equals(List.of("1"))) Thread.sleep(250);
            double snapshotSeconds = (System.nanoTime() - t0) / 1e9;

            long deadline = System.nanoTime() + streamSeconds * 1_000_000_000L;
            List<Double> probes = java.util.Collections.synchronizedList(new ArrayList<>());
            Thread prober = new Thread(() -> io.citusmigrate.testing.LagProbe.run(pg, db, citus, schema, deadline, probes), "lag-probe");
            prober.start();
            long txBefore = app.transactions();
            long appliedBefore = applied(citus);
            long tStream = System.nanoTime();
            long peakKb = 0;
            while (System.nanoTime() < deadline) {
                peakKb = Math.max(peakKb, rssKb(worker.pid()));
                Thread.sleep(500);
            }
            double streamed = (System.nanoTime() - tStream) / 1e9;
            long appliedAfter = applied(citus);
            long txAfter = app.transactions();
            prober.join(120_000);

            long tc = System.nanoTime();
            Process cutover = new ProcessBuilder("../citus-migrate", "cutover", file.toString(), "--stop-writes", "--timeout", "300")
                    .redirectErrorStream(true).redirectOutput(dir.resolve("cutover.log").toFile()).start();
            int cutoverCode = cutover.waitFor();
            double whole = (System.nanoTime() - tc) / 1e9;
            String cutoverLog = Files.readString(dir.resolve("cutover.log"));
            app.stop();
            writer.join(10_000);
            try (Connection c = pg.connect(db); java.sql.Statement s = c.createStatement()) {
                // the cutover leaves the source read-only (the application moves to the target)
                c.setAutoCommit(true);
                s.execute("SET default_transaction_read_only = off");
                s.execute("ALTER DATABASE " + db + " RESET default_transaction_read_only");
            }
            Run verify = Run.of("verify", file.toString());
            String slots = pg.rows(db, "select count(*) from pg_replication_slots").get(0);
            java.util.regex.Matcher done = java.util.regex.Pattern.compile("cutover done in ([0-9.]+) s").matcher(cutoverLog);
            System.out.println(cutoverLog);
            System.out.println(verify.out() + verify.err());
            if (verify.code() != 0) explain(pg, db, citus, schema, verify.out() + verify.err());

            String report = String.format(Locale.ROOT, """
                    ### %s, Connect path, scale %s (%d rows), %d transactions/s offered (demo application: tenant moves and sign-ups), %d sink task%s
                    - machine: %s
                    - target: %s
                    - Kafka: one broker (in the benchmark's JVM), one `ConnectDistributed` worker in a JVM of its own (-Xmx512m), plugins from plugin.path (citus-sink.zip, Debezium 3.6.3 with the fidelity jar)
                    - command: `mvn -B -DskipTests install && %smvn -B -pl cli verify -Dtest=none -Dit.test=ConnectBenchmark -Dbench.scale=%s -Dbench.rate=%d -Dbench.tasks=%d -Dbench.stream=%d`
                    - deploy to the snapshot on the target: %.1f s, the application writing
                    - streaming for %.0f s: the application committed %.0f transactions/s; the sink wrote %.0f row changes/s
                    - lag (a row updated on the source each second, polled on the target every 10 ms): %s
                    - `cutover --stop-writes` (its own process): exit %d, %s s from its start to done (writes stopped from its start), %.1f s the whole command with its JVM start; verify exit %d; %s replication slots left; worker peak RSS %d MB
                    """, LocalDate.now(), scale, counts.total(), rate, tasks, tasks == 1 ? "" : "s", machine(), citus.description(),
                    System.getenv("CITUS_URL") == null ? "" : "CITUS_URL=... ", scale, rate, tasks, streamSeconds, snapshotSeconds, streamed, (txAfter - txBefore) / streamed,
                    (appliedAfter - appliedBefore) / streamed, lags(probes), cutoverCode, done.find() ? done.group(1) : "?", whole, verify.code(), slots,
                    peakKb / 1024);
            System.out.println(report);
            System.out.println("the worker's log: " + dir.resolve("worker.log"));
            if (record != null) Files.writeString(Path.of(record), report + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } finally {
            kafka.stop();
        }
    }

    /** A row verify found different: it and its parents on both sides, to see which tenant key went wrong. */
    private static void explain(EmbeddedPg pg, String db, CitusTarget citus, String schema, String verify) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\.(ads|clicks|impressions) .*e\\.g\\. key (\\d+)").matcher(verify);
        while (m.find()) {
            String table = m.group(1);
            String key = m.group(2);
            String ad = table.equals("ads") ? "x.id" : "x.ad_id";
            String src = "select '" + table + " " + key + "' || ': ad ' || a.id || ', campaign ' || a.campaign_id || ', company ' || c.company_id"
                    + " from " + table + " x join ads a on a.id = " + ad + " join campaigns c on c.id = a.campaign_id where x.id = " + key;
            String q = "\"" + schema + "\".";
            String row = "select 'target " + table + " ' || x.id || ': company ' || x.company_id || ', ad ' || " + ad + " from " + q + table
                    + " x where x.id = " + key;
            String ads = "select 'target ad ' || a.id || ': company ' || a.company_id || ', campaign ' || a.campaign_id from " + q + "ads a where a.id = ("
                    + (table.equals("ads") ? key : "select ad_id from " + q + table + " where id = " + key + " limit 1") + ")";
            String campaigns = "select 'target campaign ' || c.id || ': company ' || c.company_id from " + q + "campaigns c where c.id in"
                    + " (select campaign_id from " + q + "ads where id = (" + (table.equals("ads") ? key : "select ad_id from " + q + table + " where id = "
                    + key + " limit 1") + "))";
            try {
                System.out.println("explain: source " + pg.rows(db, src) + "\nexplain: " + citus.rows(row) + " " + citus.rows(ads) + " "
                        + citus.rows(campaigns));
            } catch (Exception e) {
                System.out.println("explain: " + e.getMessage());
            }
        }
    }

    /** The row changes the sink has written: the sum of its Kafka positions on the target (one record, one change). */
    private static long applied(CitusTarget citus) throws Exception {
        List<String> r = citus.rows("SELECT coalesce(sum(kafka_offset + 1), 0) FROM citus_migrate.sink_offsets WHERE topic NOT LIKE '%.message'");
        return Long.parseLong(r.get(0));
    }

    private static String lags(List<Double> lags) {
        if (lags.isEmpty()) return "no probe came through";
        List<Double> sorted = lags.stream().sorted().toList();
        return String.format(Locale.ROOT, "p50 %.2f s, p99 %.2f s, max %.2f s (%d probes)", at(sorted, 50), at(sorted, 99), at(sorted, 100), sorted.size());
    }

    private static double at(List<Double> sorted, int p) {
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, (int) Math.ceil(p / 100.0 * sorted.size()) - 1)));
    }

    private static long rssKb(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("VmHWM:")) return Long.parseLong(line.replaceAll("\\D", ""));
            }
        } catch (java.io.IOException ignored) {
            // ended
        }
        return 0;
    }

    private static String machine() {
        try {
            String cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name")).findFirst()
                    .map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse("?");
            long memGb = Long.parseLong(Files.readAllLines(Path.of("/proc/meminfo")).get(0).replaceAll("\\D", "")) / 1024 / 1024;
            return Runtime.getRuntime().availableProcessors() + " cores (" + cpu + "), " + memGb + " GiB";
        } catch (java.io.IOException e) {
            return "unknown";
        }
    }
}
