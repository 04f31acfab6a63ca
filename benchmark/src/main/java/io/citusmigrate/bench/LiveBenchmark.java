package io.citusmigrate.bench;

import io.citusmigrate.testing.CitusTarget;
import io.citusmigrate.testing.EmbeddedPg;
import io.citusmigrate.testing.ExampleData;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.LocalDate;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Not a test. A live migration of the generated example while an application writes to the
 * source at a steady rate: the bulk load, streaming, then the cutover. It reports how long the
 * cutover takes once writes stop (the write downtime), how many changes streamed, and whether
 * `verify` agrees afterwards.
 *
 * <pre>java -cp benchmark/target/benchmark.jar io.citusmigrate.bench.LiveBenchmark [--scale 0.2] [--rate 200] [--stream-seconds 20] [--record benchmark/RESULTS.md]</pre>
 */
public final class LiveBenchmark {
    public static void main(String[] args) throws Exception {
        double scale = 0.2;
        int rate = 200; // transactions per second, 3 row changes each
        int streamSeconds = 20;
        Path record = null;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--scale")) scale = Double.parseDouble(args[++i]);
            if (args[i].equals("--rate")) rate = Integer.parseInt(args[++i]);
            if (args[i].equals("--stream-seconds")) streamSeconds = Integer.parseInt(args[++i]);
            if (args[i].equals("--record")) record = Path.of(args[++i]);
        }
        if (!Files.exists(Path.of("cli/target/citus-migrate.jar"))) throw new IllegalStateException("build first: mvn -B -Pbench -DskipTests package");
        try (EmbeddedPg sourcePg = EmbeddedPg.start(); EmbeddedPg targetPg = EmbeddedPg.start(); CitusTarget citus = CitusTarget.open(targetPg)) {
            String db = sourcePg.createDatabase("live");
            ExampleData.Counts counts;
            try (Connection c = sourcePg.connect(db)) {
                counts = ExampleData.generate(c, scale, 0);
                c.setAutoCommit(true);
                try (Statement s = c.createStatement()) {
                    s.execute("VACUUM (ANALYZE)");
                }
            }
            String schema = citus.newSchema("live");
            Path dir = Files.createTempDirectory(Path.of("target"), "live");
            Path file = dir.resolve("live.load");
            Files.writeString(file, """
                    load database from %s into %s
                      with include drop, reset sequences, workers = 2, slot name = 'bench_live'
                      cast column impressions.seen_at to "timestamp with time zone"
                      alter schema 'public' rename to '%s'
                      distribute companies using id;
                    """.formatted(sourcePg.url(db), citus.url(), schema));

            // the application: steady small transactions from the start (during the bulk load too)
            AtomicBoolean writing = new AtomicBoolean(true);
            AtomicLong txs = new AtomicLong();
            int perSecond = rate;
            long ads = counts.ads();
            Thread app = new Thread(() -> {
                try (Connection c = sourcePg.connect(db)) {
                    c.setAutoCommit(false);
                    PreparedStatement ins = c.prepareStatement("INSERT INTO clicks (ad_id, clicked_at, site_url, user_ip, user_data)"
                            + " VALUES (?, now(), 'https://live.example.com', '10.1.2.3', '{\"live\": true}')");
                    PreparedStatement upd = c.prepareStatement("UPDATE impressions SET site_url = site_url || '!' WHERE id = ?");
                    PreparedStatement del = c.prepareStatement("DELETE FROM clicks WHERE id = ?");
                    long n = 0;
                    long start = System.nanoTime();
                    while (writing.get()) {
                        n++;
                        ins.setLong(1, n % ads + 1);
                        ins.executeUpdate();
                        upd.setLong(1, n * 7 % 1000 + 1);
                        upd.executeUpdate();
                        del.setLong(1, n * 13 + 1);
                        del.executeUpdate();
                        c.commit();
                        txs.incrementAndGet();
                        long due = start + n * 1_000_000_000L / perSecond;
                        long wait = due - System.nanoTime();
                        if (wait > 0) Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            app.start();

            long t0 = System.nanoTime();
            Process migrate = new ProcessBuilder("./citus-migrate", "migrate", file.toString()).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("migrate.log").toFile()).start();
            long peakKb = 0;
            while (!Files.readString(dir.resolve("migrate.log")).contains("streaming changes from slot")) {
                if (!migrate.isAlive()) throw new IllegalStateException("migrate ended:\n" + Files.readString(dir.resolve("migrate.log")));
                peakKb = Math.max(peakKb, BulkLoadBenchmark.peakRssKb(migrate.pid()));
                Thread.sleep(100);
            }
            double bulkSeconds = (System.nanoTime() - t0) / 1e9;
            long deadline = System.nanoTime() + streamSeconds * 1_000_000_000L;
            while (System.nanoTime() < deadline) {
                peakKb = Math.max(peakKb, BulkLoadBenchmark.peakRssKb(migrate.pid()));
                Thread.sleep(100);
            }

            // writes stop: from here to the cutover's end is the application's write downtime
            writing.set(false);
            app.join();
            long tStop = System.nanoTime();
            Process cutover = new ProcessBuilder("./citus-migrate", "cutover", file.toString()).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("cutover.log").toFile()).start();
            int cutoverCode = cutover.waitFor();
            double downtime = (System.nanoTime() - tStop) / 1e9;
            int migrateCode = migrate.waitFor();
            Process verify = new ProcessBuilder("./citus-migrate", "verify", file.toString()).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("verify.log").toFile()).start();
            int verifyCode = verify.waitFor();
            System.out.println(Files.readString(dir.resolve("migrate.log")));
            System.out.println(Files.readString(dir.resolve("cutover.log")));
            System.out.println(Files.readString(dir.resolve("verify.log")));

            String report = String.format(Locale.ROOT, """
                    ### %s, live migration, scale %s (%d rows), %d transactions/s of 3 row changes each
                    - machine: %s
                    - target: %s
                    - command: `mvn -B -Pbench -DskipTests package && java -cp benchmark/target/benchmark.jar io.citusmigrate.bench.LiveBenchmark --scale %s --rate %d --stream-seconds %d`
                    - bulk load until streaming: %.1f s, with the application writing; then %d s of streaming
                    - application transactions during the run: %d (%.0f/s)
                    - write downtime (writes stopped -> `cutover` done: stream caught up, sequences set, foreign keys added): %.1f s
                    - exit codes: cutover %d, migrate %d, verify %d (0: the target equals the source); peak RSS of migrate %d MB
                    """, LocalDate.now(), scale, counts.total(), rate, BulkLoadBenchmark.machine(),
                    citus.description(),
                    scale, rate, streamSeconds, bulkSeconds, streamSeconds, txs.get(), txs.get() / ((tStop - t0) / 1e9),
                    downtime, cutoverCode, migrateCode, verifyCode, peakKb / 1024);
            System.out.println(report);
            if (record != null) Files.writeString(record, report + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        }
    }
}
